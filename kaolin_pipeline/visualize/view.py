"""``kaolin-pipeline view PATH``: pick the visualizer for PATH, write its page, open or serve it.

PATH may be a run folder (→ its ``report.html``), a Timelapse log folder, a dataset
(a folder of meshes, ``shapenet:ROOT``, ``modelnet:ROOT``, ``synthetic:N``) or a single
mesh / point-cloud / voxel-grid file.
"""
from __future__ import annotations

import os
import re
import tempfile
import webbrowser
from pathlib import Path
from typing import Optional

from kaolin_pipeline.atomic import atomic_open
from kaolin_pipeline.errors import MissingFileError, SaveError
from kaolin_pipeline.datasets.sources import PREFIXES
from kaolin_pipeline.export.rundir import looks_like_run
from kaolin_pipeline.visualize.dataset import scene_of_dataset
from kaolin_pipeline.visualize.page import render_page
from kaolin_pipeline.visualize.report import write_report
from kaolin_pipeline.visualize.sources import is_timelapse_folder, scene_of_file, scene_of_timelapse


def default_output(name: str) -> Path:
    """Where a page goes when no ``out`` is given: ``<temp dir>/kaolin-pipeline-view/<name>.html``."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "view"
    return Path(tempfile.gettempdir()) / "kaolin-pipeline-view" / f"{safe}.html"


def classify(path: str) -> str:
    """``'dataset'``, ``'run'``, ``'timelapse'`` or ``'file'``; raises ``LoadError`` when ``path`` does not exist."""
    if path.startswith(PREFIXES):
        return "dataset"
    location = Path(path)
    if location.is_file():
        return "file"
    if not location.is_dir():
        raise MissingFileError(f"{path}: no such file or folder (expected a run, a Timelapse log, a dataset or a shape file)")
    if looks_like_run(location):
        return "run"
    return "timelapse" if is_timelapse_folder(location) else "dataset"


def write_view(path: str | os.PathLike, out: Optional[os.PathLike] = None, max_iterations: Optional[int] = None,
               cache_dir: Optional[os.PathLike] = None, inline_mb: float = 40.0, progress: bool = True) -> Path:
    """Write the viewer page of ``path`` (see the module docstring) and return the page's path.

    Args:
        out: the HTML file to write; a run's page is always its ``report.html``, otherwise the
            default is :func:`default_output`.
        max_iterations: most iterations per logged item (evenly spaced); all when ``None``.
        cache_dir: the dataset thumbnail cache (:func:`~kaolin_pipeline.visualize.dataset.default_cache_dir`).
        inline_mb: a dataset page inlines the 3D data of its shapes up to this many megabytes.

    Raises:
        LoadError: ``path`` does not exist or cannot be read; ConfigError: a bad argument.
    """
    path = str(path)
    kind = classify(path)
    if kind == "run":
        return write_report(path, max_timelapse_frames=max_iterations, progress=progress)
    parts = None
    if kind == "dataset":
        (scene, parts), mode = scene_of_dataset(path, cache_dir, inline_mb, progress), "dataset"
    elif kind == "timelapse":
        scene, mode = scene_of_timelapse(path, max_iterations, progress), "training"
    else:
        scene, mode = scene_of_file(path), "training"
    target = Path(out) if out is not None else default_output(Path(path.rstrip("/")).name or path)
    if target.is_dir():
        raise SaveError(f"--out {target}: is a folder; give the HTML file to write")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_open(target, "w", encoding="utf-8") as handle:
            handle.write(render_page(scene, mode, parts=parts))
    except SaveError:
        raise
    except OSError as exc:
        raise SaveError(f"--out {target}: cannot write the page ({exc.strerror or exc})") from None
    return target


def open_in_browser(page: Path) -> None:
    """Open ``page`` in the default web browser."""
    webbrowser.open(Path(page).resolve().as_uri())
