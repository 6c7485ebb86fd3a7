"""The run folder: the one place that knows its file names, writes them atomically and guards it.

A run of ``fit`` or ``train`` owns one folder::

    RUN/
      config.yaml        the resolved config (read back with our YAML loader)
      checkpoints/       step_NNNNNN.pt, latest.json
      timelapse/         Kaolin Timelapse USD
      final/             mesh.usd, mesh.obj (+ .mtl, texture), mesh.ply, mesh.glb
      target/            mesh.usd: fit's target in its own units (what the run page shows)
      metrics.csv        one row per logged step; tensorboard/ when TensorBoard is installed
      metrics.json       final metrics; eval.json: ``eval``'s scores
      views/             target_<i>.png, pred_<i>.png
      report.html        the run page
      cache/             ``train``'s rendered views (reused, never removed by --overwrite)
      lock               pid of the process writing the run

A new run refuses a folder that already holds a run (unless told to overwrite it), and the
``lock`` file refuses a second writer while the first one's process lives.
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import socket
from pathlib import Path
from typing import Any, Iterator, Mapping, Optional, Union

import yaml

from kaolin_pipeline.atomic import atomic_open, atomic_path
from kaolin_pipeline.errors import ConfigError, SaveError
from kaolin_pipeline.yamlfile import read_yaml_mapping

PathLike = Union[str, os.PathLike]


class RunDir:
    """The files of one run folder ``path`` (nothing is created until something is written)."""

    CONFIG = "config.yaml"
    CHECKPOINTS = "checkpoints"
    TIMELAPSE = "timelapse"
    FINAL = "final"
    TARGET = "target"
    METRICS_CSV = "metrics.csv"
    TENSORBOARD = "tensorboard"
    METRICS_JSON = "metrics.json"
    EVAL = "eval.json"
    VIEWS = "views"
    REPORT = "report.html"
    CACHE = "cache"
    LOCK = "lock"
    TARGET_MESH = "mesh.usd"

    #: What marks a folder as holding a run.
    MARKERS = (CONFIG, CHECKPOINTS, TIMELAPSE, METRICS_CSV, METRICS_JSON)
    #: What ``--overwrite`` removes (``cache/`` and foreign files are kept).
    RUN_ENTRIES = (CONFIG, CHECKPOINTS, TIMELAPSE, FINAL, TARGET, METRICS_CSV, TENSORBOARD, METRICS_JSON, EVAL,
                   VIEWS, REPORT)

    def __init__(self, path: PathLike):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunDir({str(self.path)!r})"

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    # ------------------------------------------------------------------ names
    config = property(lambda self: self.path / self.CONFIG, doc="``config.yaml``")
    checkpoints = property(lambda self: self.path / self.CHECKPOINTS, doc="``checkpoints/``")
    timelapse = property(lambda self: self.path / self.TIMELAPSE, doc="``timelapse/``")
    final = property(lambda self: self.path / self.FINAL, doc="``final/``")
    target = property(lambda self: self.path / self.TARGET, doc="``target/``")
    target_mesh = property(lambda self: self.path / self.TARGET / self.TARGET_MESH, doc="``target/mesh.usd``")
    metrics_csv = property(lambda self: self.path / self.METRICS_CSV, doc="``metrics.csv``")
    tensorboard = property(lambda self: self.path / self.TENSORBOARD, doc="``tensorboard/``")
    metrics_json = property(lambda self: self.path / self.METRICS_JSON, doc="``metrics.json``")
    eval_json = property(lambda self: self.path / self.EVAL, doc="``eval.json``")
    views = property(lambda self: self.path / self.VIEWS, doc="``views/``")
    report = property(lambda self: self.path / self.REPORT, doc="``report.html``")
    cache = property(lambda self: self.path / self.CACHE, doc="``cache/``")
    lock = property(lambda self: self.path / self.LOCK, doc="``lock``")

    def view_image(self, kind: str, index: int) -> Path:
        """``views/<kind>_<index>.png`` (``kind`` is ``target`` or ``pred``)."""
        return self.views / f"{kind}_{index}.png"

    # ------------------------------------------------------------------ reading
    def holds_run(self) -> bool:
        """True when the folder holds any of a run's files."""
        return looks_like_run(self.path)

    def read_config(self) -> dict:
        """``config.yaml`` as a mapping (our YAML loader); :class:`ConfigError` naming the file."""
        return read_yaml_mapping(self.config)

    # ------------------------------------------------------------------ writing
    def create(self, label: str = "run folder") -> Path:
        """Create the folder (and its parents); :class:`SaveError` naming the path and the cause."""
        if self.path.exists() and not self.path.is_dir():
            raise SaveError(f"{label} {self.path}: is a file, not a folder")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SaveError(f"{label} {self.path}: cannot create the folder ({_cause(exc)})") from None
        return self.path

    def subfolder(self, path: Path) -> Path:
        """Create ``path`` (a folder of the run) and return it."""
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SaveError(f"{path}: cannot create the folder ({_cause(exc)})") from None
        return path

    @contextlib.contextmanager
    def _writing(self, path: Path) -> Iterator[None]:
        """Create ``path``'s folder; an ``OSError`` of the body becomes a :class:`SaveError` naming ``path``."""
        self.subfolder(path.parent)
        try:
            yield
        except SaveError:
            raise
        except OSError as exc:
            raise SaveError(f"{path}: cannot write ({_cause(exc)})") from None

    def write_text(self, path: Path, text: str) -> Path:
        """Atomically write ``text`` to ``path`` (a file of this run); :class:`SaveError` naming it on failure."""
        with self._writing(path), atomic_open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        return path

    def write_config(self, config: Mapping[str, Any]) -> Path:
        """Write ``config.yaml`` (atomically)."""
        return self.write_text(self.config, yaml.safe_dump(dict(config), sort_keys=False))

    def write_json(self, path: Path, data: Mapping[str, Any]) -> Path:
        """Write ``data`` as indented JSON to ``path`` (``metrics_json``, ``eval_json``), atomically."""
        return self.write_text(path, json.dumps(dict(data), indent=2) + "\n")

    def write_image(self, path: Path, image) -> Path:
        """Write a PIL ``image`` to ``path`` (PNG by its suffix), atomically."""
        with self._writing(path), atomic_path(path) as temporary:
            image.save(temporary)
        return path

    def clear(self) -> None:
        """Remove every run file and folder (``--overwrite``); ``cache/`` and foreign files stay."""
        for name in self.RUN_ENTRIES:
            entry = self.path / name
            try:
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                elif entry.exists() or entry.is_symlink():
                    entry.unlink()
            except OSError as exc:
                raise SaveError(f"{entry}: cannot remove it for --overwrite ({_cause(exc)})") from None

    # ------------------------------------------------------------------ one writer at a time
    @contextlib.contextmanager
    def locked(self) -> Iterator[Path]:
        """Hold ``lock`` (this process's pid and host) while the body runs.

        A lock whose process is gone (same host, pid not running) is reclaimed.

        Raises:
            ConfigError: another live process holds the run.
        """
        self.create()
        text = f"{os.getpid()} {socket.gethostname()}\n"
        for _ in range(2):
            try:
                fd = os.open(self.lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = _lock_owner(self.lock)
                if owner is not None:
                    raise ConfigError(f"{self.path}: another run is writing this folder ({owner}; delete "
                                      f"{self.lock} if that is wrong)") from None
                with contextlib.suppress(FileNotFoundError):
                    self.lock.unlink()  # its process is gone
                continue
            except OSError as exc:
                raise SaveError(f"{self.lock}: cannot create the lock file ({_cause(exc)})") from None
            try:
                os.write(fd, text.encode())
            except OSError as exc:
                os.close(fd)
                self.lock.unlink()
                raise SaveError(f"{self.lock}: cannot write the lock file ({_cause(exc)})") from None
            os.close(fd)
            break
        else:
            raise ConfigError(f"{self.path}: another run took the lock {self.lock} meanwhile")
        try:
            yield self.lock
        finally:
            with contextlib.suppress(FileNotFoundError):
                self.lock.unlink()

    def start(self, *, resume: bool, overwrite: bool = False) -> None:
        """Check the folder before a run starts in it (nothing is written).

        Raises:
            ConfigError: a new run (``resume`` False, no ``overwrite``) in a folder holding a run,
                or a resume of a folder without ``config.yaml``.
            SaveError: the path is a file.
        """
        if self.path.exists() and not self.path.is_dir():
            raise SaveError(f"run folder {self.path}: is a file, not a folder")
        if resume:
            if not self.config.is_file():
                raise ConfigError(f"--resume {self.path}: no {self.CONFIG} there; is it a run folder?")
        elif self.holds_run() and not overwrite:
            raise ConfigError(f"{self.path} already holds a run; continue it with --resume {self.path}, "
                              f"replace it with --overwrite, or choose another --out")


def _cause(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "no space left on the device"
    return exc.strerror or str(exc)


def _lock_owner(lock: Path) -> Optional[str]:
    """A description of the live process holding ``lock``, or ``None`` when it is gone (or unreadable)."""
    try:
        pid_text, _, host = lock.read_text().strip().partition(" ")
        pid = int(pid_text)
    except (OSError, ValueError):
        return None
    if host and host != socket.gethostname():
        return f"process {pid} on {host}"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, owned by someone else
    return f"process {pid}"


def looks_like_run(path: PathLike) -> bool:
    """True when the folder ``path`` holds a ``fit``/``train`` run (any of :attr:`RunDir.MARKERS`)."""
    folder = Path(path)
    return folder.is_dir() and any((folder / name).exists() for name in RunDir.MARKERS)


def fresh_run_dir(parent: PathLike, name: str) -> RunDir:
    """``parent/name``, or ``parent/name-2``, ``-3``, ... : the first that holds no run and no lock."""
    parent = Path(parent)
    for number in range(1, 100_000):
        candidate = RunDir(parent / (name if number == 1 else f"{name}-{number}"))
        if not candidate.holds_run() and not candidate.lock.exists():
            return candidate
    raise ConfigError(f"{parent}: no free run folder named {name}-<n>; give --out")
