"""Final assets of a run: one mesh written as USD, OBJ (+ MTL + PNG texture), PLY and GLB.

The writers are :func:`kaolin_pipeline.io.mesh.save_mesh` (OBJ in Kaolin's
layout; PLY and GLB through trimesh with vertex colours, or the texture embedded in
the GLB) and, for ``.usd``, :func:`kaolin_pipeline.io.usd.export_mesh` to which
``save_mesh`` dispatches. Each writes atomically. A mesh with ``materials`` keeps them in
OBJ (+ MTL and one PNG per texture), GLB (one primitive per material) and USD (a
UsdPreviewSurface per face subset); PLY holds geometry and vertex colours only.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence, Union

from kaolin_pipeline.io.mesh import MESH_EXTENSIONS, load_mesh, save_mesh
from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.errors import CheckpointError, SaveError
from kaolin_pipeline.export.checkpoint import latest_checkpoint, load_checkpoint, mesh_from_state
from kaolin_pipeline.export.rundir import RunDir

PathLike = Union[str, os.PathLike]

ASSET_SUFFIXES = {"usd": ".usd", "obj": ".obj", "ply": ".ply", "glb": ".glb"}
DEFAULT_FORMATS = tuple(ASSET_SUFFIXES)
FINAL_NAME = "mesh"


def _check_format(fmt: str) -> str:
    if fmt not in ASSET_SUFFIXES:
        raise SaveError(f"format must be one of {', '.join(ASSET_SUFFIXES)}; got {fmt!r}")
    return fmt


def export_assets(mesh: Mesh, out_dir: PathLike, formats: Sequence[str] = DEFAULT_FORMATS,
                  name: str = FINAL_NAME) -> dict[str, Path]:
    """Write ``mesh`` to ``out_dir/<name>.<format>`` for every format in ``formats``.

    Args:
        mesh: the mesh; its UVs + texture or materials, vertex colours and normals go where the format
            can hold them.
        out_dir: destination folder (created if needed).
        formats: any of ``'usd'``, ``'obj'``, ``'ply'``, ``'glb'``.
        name: file stem (no folder separators).

    Returns:
        ``{format: path}`` of the main file of each format (OBJ's ``.mtl`` / ``.png`` and
        USD's ``textures/`` sit next to it).

    Raises:
        SaveError: unknown format, bad ``name``, an invalid mesh or a failed write.
    """
    formats = [_check_format(fmt) for fmt in formats]
    if not name or Path(name).name != name or name in (".", ".."):
        raise SaveError(f"name must be a plain file stem, got {name!r}")
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SaveError(f"{out_dir}: cannot create the asset folder ({exc})") from exc
    written = {}
    for fmt in formats:
        path = out_dir / f"{name}{ASSET_SUFFIXES[fmt]}"
        save_mesh(path, mesh)
        written[fmt] = path
    return written


def final_mesh_path(run_dir: PathLike) -> Path | None:
    """The run's final mesh file (``final/mesh.usd``, else ``.obj``, ``.glb``, ``.ply``), or ``None``."""
    for fmt in ("usd", "obj", "glb", "ply"):
        path = RunDir(run_dir).final / f"{FINAL_NAME}{ASSET_SUFFIXES[fmt]}"
        if path.is_file():
            return path
    return None


def mesh_from_checkpoint(path: PathLike) -> Mesh:
    """The mesh a checkpoint stores under ``mesh`` (see :func:`~kaolin_pipeline.export.checkpoint.mesh_state`).

    Raises:
        CheckpointError: the checkpoint is unreadable or holds no ``mesh``.
    """
    state = load_checkpoint(path, map_location="cpu")
    if "mesh" not in state:
        raise CheckpointError(f"{path}: holds no 'mesh' entry to export (keys: {sorted(state)})")
    return mesh_from_state(state["mesh"], str(path))


def mesh_of_run(source: PathLike) -> Mesh:
    """The mesh to export from a checkpoint file or a run folder.

    A run folder gives its final mesh (``final/mesh.*``) when the run finished, else
    the mesh of its latest checkpoint (``checkpoints/step_*.pt``).

    Raises:
        CheckpointError: ``source`` is missing, or a run folder holds neither.
        LoadError: the final mesh file cannot be read.
    """
    source = Path(source)
    if source.is_file():
        if source.suffix.lower() in MESH_EXTENSIONS:
            return load_mesh(source)
        return mesh_from_checkpoint(source)
    if not source.is_dir():
        raise CheckpointError(f"{source}: no such checkpoint or run folder")
    final = final_mesh_path(source)
    if final is not None:
        return load_mesh(final)
    run = RunDir(source)
    checkpoint = latest_checkpoint(run.checkpoints)
    if checkpoint is None:
        raise CheckpointError(
            f"{source}: run folder has no {RunDir.FINAL}/{FINAL_NAME}.* and no {RunDir.CHECKPOINTS}/step_*.pt to export"
        )
    return mesh_from_checkpoint(checkpoint)


def export_run(source: PathLike, fmt: str, out: PathLike) -> Path:
    """``kaolin-pipeline export CHECKPOINT_OR_RUN --format usd|obj|ply|glb OUT``.

    Args:
        source: a checkpoint file, a mesh file, or a run folder (see :func:`mesh_of_run`).
        fmt: ``'usd'``, ``'obj'``, ``'ply'`` or ``'glb'``.
        out: a file path ending in the format's suffix (e.g. ``model.glb``), or a folder
            that receives ``mesh.<fmt>``.

    Returns:
        The path of the written file.
    """
    _check_format(fmt)
    out = Path(out)
    if out.suffix.lower() == ASSET_SUFFIXES[fmt]:
        out_dir, name = out.parent, out.stem
    elif out.suffix.lower() in MESH_EXTENSIONS:
        raise SaveError(f"{out}: suffix does not match --format {fmt} (expected {ASSET_SUFFIXES[fmt]})")
    else:
        out_dir, name = out, FINAL_NAME
    return export_assets(mesh_of_run(source), out_dir, formats=(fmt,), name=name)[fmt]
