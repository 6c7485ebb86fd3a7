"""Data shipped inside the package: recipe defaults, render presets, dataset manifests and samples.

The files live in ``kaolin_pipeline/data/`` and are package data, so a wheel carries them and
an installed copy finds them with :mod:`importlib.resources` from any working directory. In a
checkout, the top-level ``configs/``, ``presets/`` and ``datasets/`` folders are symbolic links
to ``kaolin_pipeline/data/<folder>``: one copy of every file, edited at either path.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

#: The folders of ``kaolin_pipeline/data/`` and what they hold.
SHIPPED_FOLDERS = {
    "configs": "recipe defaults (fit, reconstruct, demo)",
    "presets": "render presets (camera rigs, image size, lights, renderer settings)",
    "datasets": "dataset layout manifests and tiny sample assets",
}


def shipped_path(folder: str, *parts: str) -> Path:
    """The path of ``kaolin_pipeline/data/<folder>/<parts...>`` in the imported package.

    Args:
        folder: one of :data:`SHIPPED_FOLDERS` (``'configs'``, ``'presets'``, ``'datasets'``).
        parts: names below it, e.g. ``shipped_path('configs', 'fit.yaml')``.

    The package is installed as files (as pip installs wheels), so the result is a real path.
    """
    if folder not in SHIPPED_FOLDERS:
        raise ValueError(f"folder must be one of {', '.join(SHIPPED_FOLDERS)}, got {folder!r}")
    return Path(str(resources.files("kaolin_pipeline"))).joinpath("data", folder, *parts)
