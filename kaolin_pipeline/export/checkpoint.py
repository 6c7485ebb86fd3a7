"""Training checkpoints: atomic saves, safe (``weights_only=True``) loads, and finding the latest.

A checkpoint is a ``torch.save`` zip archive of one dict holding only tensors and
plain containers (dict, list, tuple, str, int, float, bool, None), so it loads with
``torch.load(..., weights_only=True)`` and never runs pickled code. Typical keys::

    save_checkpoint(run / "checkpoints" / checkpoint_name(step),
                    model=model.state_dict(), optimizer=opt.state_dict(),
                    scheduler=sched.state_dict(), step=step,
                    rng=capture_rng_state(), config=resolved_config,
                    mesh=mesh_state(mesh))

``save_checkpoint`` adds ``format_version``. Files named ``step_000500.pt`` are
training checkpoints; with each such save the folder's ``latest.json`` pointer is
updated (atomically) so :func:`latest_checkpoint` needs no folder scan.
"""
from __future__ import annotations

import dataclasses
import json
import os
import pickle
import random
import re
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
import torch

from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.io.validate import validate_mesh
from kaolin_pipeline.errors import CheckpointError
from kaolin_pipeline.atomic import atomic_open, atomic_path

PathLike = Union[str, os.PathLike]

FORMAT_VERSION = 1
FORMAT_KEY = "format_version"
POINTER_NAME = "latest.json"
CHECKPOINT_PATTERN = re.compile(r"step_(\d+)\.pt")

_ZIP_MAGIC = b"PK\x03\x04"
_PLAIN_LEAVES = (int, float, bool, str, type(None))
_PLAIN_CONTAINERS = (dict, OrderedDict, list, tuple)


def checkpoint_name(step: int) -> str:
    """File name of the checkpoint at ``step``: ``checkpoint_name(500) == 'step_000500.pt'``."""
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise CheckpointError(f"step must be a non-negative int, got {step!r}")
    return f"step_{step:06d}.pt"


def _step_of(name: str) -> Optional[int]:
    match = CHECKPOINT_PATTERN.fullmatch(name)
    return int(match.group(1)) if match else None


# --------------------------------------------------------------------------- RNG state


def capture_rng_state() -> dict:
    """The state of every random generator a training run draws from, as plain data.

    Returns a dict that survives ``weights_only=True`` loading:
    ``torch`` (CPU ByteTensor), ``cuda`` (list of ByteTensors, one per device; only
    when CUDA is available), ``numpy`` (the legacy global ``np.random`` state as
    ``bit_generator`` str, ``keys`` (624,) int64 tensor, ``pos``, ``has_gauss``,
    ``cached_gaussian``) and ``python`` (``random.getstate()`` as ``version``,
    ``internal`` (625,) int64 tensor, ``gauss_next``).
    """
    bit_generator, keys, pos, has_gauss, cached_gaussian = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": {
            "bit_generator": str(bit_generator),
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached_gaussian),
        },
        "python": {
            "version": int(version),
            "internal": torch.tensor(internal, dtype=torch.int64),
            "gauss_next": gauss_next,
        },
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict) -> None:
    """Set torch, CUDA (when present in ``state`` and available), NumPy and Python RNGs from :func:`capture_rng_state`'s dict.

    Raises:
        CheckpointError: a key is missing or holds a value of the wrong kind.
    """
    try:
        numpy_state, python_state = state["numpy"], state["python"]
        # set_rng_state needs CPU byte tensors even when the checkpoint was mapped to a GPU.
        torch.set_rng_state(state["torch"].to("cpu"))
        np.random.set_state((
            numpy_state["bit_generator"],
            numpy_state["keys"].to("cpu").numpy().astype(np.uint32),
            int(numpy_state["pos"]),
            int(numpy_state["has_gauss"]),
            float(numpy_state["cached_gaussian"]),
        ))
        random.setstate((
            int(python_state["version"]),
            tuple(int(word) for word in python_state["internal"].tolist()),
            python_state["gauss_next"],
        ))
    except KeyError as exc:
        raise CheckpointError(f"rng state: missing key {exc}") from exc
    except (TypeError, ValueError, AttributeError, RuntimeError) as exc:
        raise CheckpointError(f"rng state: malformed value ({exc})") from exc
    if "cuda" in state and torch.cuda.is_available():
        cuda_states = [s.to("cpu") for s in state["cuda"]]
        if len(cuda_states) != torch.cuda.device_count():
            raise CheckpointError(
                f"rng state: 'cuda' holds {len(cuda_states)} device states for {torch.cuda.device_count()} visible devices"
            )
        torch.cuda.set_rng_state_all(cuda_states)


# --------------------------------------------------------------------------- mesh payload


def mesh_state(mesh: Mesh) -> dict:
    """A :class:`Mesh` as a dict of its non-``None`` tensor fields, to store in a checkpoint under ``mesh``."""
    return {
        field.name: getattr(mesh, field.name)
        for field in dataclasses.fields(mesh)
        if getattr(mesh, field.name) is not None
    }


def mesh_from_state(state: Any, source: str) -> Mesh:
    """Rebuild and validate the :class:`Mesh` stored by :func:`mesh_state`; errors name ``source``."""
    names = {field.name for field in dataclasses.fields(Mesh)}
    if not isinstance(state, dict) or not {"vertices", "faces"} <= state.keys():
        raise CheckpointError(f"{source}: 'mesh' must be a dict with at least 'vertices' and 'faces'")
    unknown = sorted(set(state) - names)
    if unknown:
        raise CheckpointError(f"{source}: 'mesh' has unknown keys {unknown}; expected some of {sorted(names)}")
    return validate_mesh(Mesh(**state), source)


# --------------------------------------------------------------------------- save


def _check_plain(value: Any, where: str) -> None:
    """Raise unless ``value`` is made only of tensors and plain containers (what weights_only loads)."""
    if isinstance(value, torch.Tensor):
        if type(value) not in (torch.Tensor, torch.nn.Parameter):
            raise CheckpointError(f"{where}: tensor subclass {type(value).__name__} cannot be loaded with weights_only=True")
        return
    kind = type(value)
    if kind in _PLAIN_LEAVES:
        return
    if kind not in _PLAIN_CONTAINERS:
        raise CheckpointError(
            f"{where}: {kind.__module__}.{kind.__qualname__} is not a tensor, number, str, bool, None, "
            "list, tuple or dict; checkpoints hold only these so they load with weights_only=True"
        )
    if isinstance(value, dict):
        for key, item in value.items():
            if type(key) not in (str, int):
                raise CheckpointError(f"{where}: key {key!r} must be a str or an int")
            _check_plain(item, f"{where}[{key!r}]")
    else:
        for index, item in enumerate(value):
            _check_plain(item, f"{where}[{index}]")


def save_checkpoint(path: PathLike, **state: Any) -> Path:
    """Atomically write ``state`` (plus ``format_version``) to ``path``; return ``path``.

    The folder is created if needed. A writer killed at any moment leaves the
    previous file at ``path`` intact. When the name follows ``step_NNNNNN.pt`` the
    folder's ``latest.json`` pointer is moved to it (unless it already names a higher
    step that exists) just before the checkpoint is renamed into place.

    Raises:
        CheckpointError: ``state`` holds an object that ``weights_only`` loading would
            refuse (the message names its key), uses the reserved ``format_version``
            key, or the file cannot be written.
    """
    path = Path(path)
    if FORMAT_KEY in state:
        raise CheckpointError(f"{path}: '{FORMAT_KEY}' is reserved; save_checkpoint writes it")
    _check_plain(state, f"{path}: state")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        step = _step_of(path.name)
        if step is not None:
            # Pointer first: until the rename below lands it names a missing file, which
            # makes latest_checkpoint scan, so a kill at any moment never leaves it stale.
            _advance_pointer(path.parent, path.name, step)
        with atomic_path(path) as temporary:
            torch.save({FORMAT_KEY: FORMAT_VERSION, **state}, temporary)
    except CheckpointError:
        raise
    except (OSError, RuntimeError) as exc:  # torch.save reports a full disk as a RuntimeError
        raise CheckpointError(f"{path}: cannot write checkpoint ({' '.join(str(exc).split())})") from exc
    return path


def _advance_pointer(directory: Path, name: str, step: int) -> None:
    current = _read_pointer(directory)
    if current is not None and _step_of(current.name) > step:
        return
    with atomic_open(directory / POINTER_NAME, "w", encoding="utf-8") as handle:
        json.dump({FORMAT_KEY: FORMAT_VERSION, "latest": name, "step": step}, handle)


# --------------------------------------------------------------------------- find


def _read_pointer(directory: Path) -> Optional[Path]:
    """The checkpoint ``latest.json`` names, or ``None`` if the pointer is missing, unreadable or dangling."""
    try:
        with open(directory / POINTER_NAME, encoding="utf-8") as handle:
            name = json.load(handle)["latest"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(name, str) or _step_of(name) is None:
        return None
    target = directory / name
    return target if target.is_file() else None


def _scan_for_latest(directory: Path) -> Optional[Path]:
    best_step, best_name = -1, None
    with os.scandir(directory) as entries:
        for entry in entries:
            step = _step_of(entry.name)
            if step is not None and step > best_step and entry.is_file():
                best_step, best_name = step, entry.name
    return directory / best_name if best_name else None


def latest_checkpoint(directory: PathLike) -> Optional[Path]:
    """Path of the highest-step ``step_NNNNNN.pt`` in ``directory``, or ``None`` if there is none.

    Reads the ``latest.json`` pointer; scans the folder once only when the pointer is
    missing, corrupt or names a file that no longer exists. Temporary files left by
    a killed writer never match.

    Raises:
        CheckpointError: ``directory`` exists but is not a folder.
    """
    directory = Path(directory)
    if not directory.exists():
        return None
    if not directory.is_dir():
        raise CheckpointError(f"{directory}: is not a folder of checkpoints")
    return _read_pointer(directory) or _scan_for_latest(directory)


# --------------------------------------------------------------------------- load


def _check_archive(path: Path) -> None:
    """Raise unless ``path`` looks like a complete ``torch.save`` zip archive."""
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file" if not path.exists() else f"{path}: is not a file")
    with open(path, "rb") as handle:
        head = handle.read(len(_ZIP_MAGIC))
    if not head:
        raise CheckpointError(f"{path}: empty file, not a checkpoint")
    if head != _ZIP_MAGIC:
        raise CheckpointError(f"{path}: not a checkpoint (a torch.save zip archive starts with {_ZIP_MAGIC!r}, this file with {head!r})")
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile as exc:
        raise CheckpointError(f"{path}: truncated or corrupt checkpoint (zip archive unreadable: {exc})") from exc
    if not any(name.endswith("/data.pkl") for name in names):
        raise CheckpointError(f"{path}: a zip archive but not a torch checkpoint (no data.pkl among {len(names)} entries)")


def load_checkpoint(path: PathLike, map_location: Any = None) -> dict:
    """Load a checkpoint written by :func:`save_checkpoint` with ``torch.load(weights_only=True)``.

    Args:
        path: the checkpoint file (use :func:`latest_checkpoint` to pick one in a folder).
        map_location: passed to :func:`torch.load` (e.g. ``'cpu'`` or ``'cuda:0'``).

    Returns:
        The saved dict, including ``format_version``.

    Raises:
        CheckpointError: naming ``path``, when the file is missing, empty, truncated,
            foreign, holds pickled objects other than tensors and plain containers,
            lacks ``format_version``, or was written by a newer format version.
    """
    path = Path(path)
    _check_archive(path)
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        reason = str(exc).strip().splitlines()
        detail = next((line for line in reason if "Unsupported" in line), reason[0] if reason else "")
        raise CheckpointError(
            f"{path}: holds objects other than tensors and plain containers and will not be unpickled "
            f"(weights_only=True refused it: {detail.strip()})"
        ) from exc
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile) as exc:
        raise CheckpointError(f"{path}: corrupt checkpoint ({exc})") from exc
    if not isinstance(payload, dict):
        raise CheckpointError(f"{path}: holds a {type(payload).__name__}, not a checkpoint dict")
    version = payload.get(FORMAT_KEY)
    if version is None:
        raise CheckpointError(f"{path}: has no '{FORMAT_KEY}' key; it was not written by save_checkpoint")
    if type(version) is not int or version < 1:
        raise CheckpointError(f"{path}: '{FORMAT_KEY}' must be a positive int, got {version!r}")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: format version {version} is newer than this kaolin_pipeline reads ({FORMAT_VERSION}); upgrade it"
        )
    return payload
