"""The run page: ``RUN_DIR/report.html``, the 3D viewer of the run with its metrics, views and curves.

One self-contained HTML file (:mod:`kaolin_pipeline.visualize.page`: three.js and every byte of
data inlined, nothing fetched). Inputs read from the run folder; each part is left out, with a
short note, when its input is missing or unreadable:

* ``timelapse/`` (Kaolin Timelapse USD) → every category and kind, every logged iteration, in 3D;
* ``final/mesh.usd`` (or ``.obj``, ``.glb``, ``.ply``) → the final mesh (category ``final``);
* ``target/mesh.usd`` (written by ``fit`` in the target's own units) → the target, shown beside the
  prediction; a run saved before ``target/`` existed falls back to ``config.yaml``'s ``target``
  (a mesh file or ``synthetic:<family>``, read with :func:`kaolin_pipeline.datasets.sources.open_source`);
* ``metrics.csv``: column ``step`` plus numeric columns → one curve per column under the view,
  with a marker at the shown iteration;
* ``metrics.json``: final metrics, whatever their names → a table;
* ``views/target_<i>.png`` and ``views/pred_<i>.png`` → target vs. predicted pairs.
"""
from __future__ import annotations

import csv
import html
import json
import os
import re
from pathlib import Path
from typing import Optional, Union

import numpy as np
from PIL import Image, UnidentifiedImageError

from kaolin_pipeline.datasets.sources import open_source
from kaolin_pipeline.errors import ConfigError, LoadError, PipelineError
from kaolin_pipeline.export.assets import final_mesh_path
from kaolin_pipeline.export.rundir import RunDir
from kaolin_pipeline.io.mesh import load_mesh
from kaolin_pipeline.visualize.encode import data_uri
from kaolin_pipeline.visualize.page import render_page
from kaolin_pipeline.visualize.scene import TexturePool, make_item, new_scene, shape_stats
from kaolin_pipeline.visualize.sources import timelapse_items

PathLike = Union[str, os.PathLike]

VIEW_PATTERN = re.compile(r"(target|pred)_(\d+)\.png")


# --------------------------------------------------------------------------- run inputs


def _image_file_uri(path: Path) -> str:
    """The image file as a data URI; raises ``LoadError`` when it does not decode."""
    try:
        with Image.open(path) as image:
            image.load()
            mime = Image.MIME.get(image.format)
    except (OSError, UnidentifiedImageError) as exc:
        raise LoadError(f"{path}: not a readable image ({exc})") from exc
    if mime is None:
        raise LoadError(f"{path}: image format {image.format} cannot be shown in a web page")
    return data_uri(path.read_bytes(), mime)


def _img(uri: str, alt: str, **attributes: str) -> str:
    extra = "".join(f' {key}="{html.escape(value)}"' for key, value in attributes.items())
    return f'<img src="{uri}" alt="{html.escape(alt)}"{extra}>'


def _note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


def _read_metrics_csv(path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``step`` (N,) and ``{column: (N,)}`` floats (empty cells are NaN); raises ``LoadError``."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LoadError(f"{path}: cannot read ({exc})") from exc
    if not rows or "step" not in rows[0]:
        raise LoadError(f"{path}: the first row must be a header with a 'step' column")
    header, body = rows[0], [row for row in rows[1:] if row]
    if not body:
        raise LoadError(f"{path}: has a header but no rows")
    table = np.full((len(body), len(header)), np.nan)
    for line, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise LoadError(f"{path}: line {line} has {len(row)} fields for {len(header)} columns")
        for column, cell in enumerate(row):
            if cell.strip():
                try:
                    table[line - 2, column] = float(cell)
                except ValueError:
                    raise LoadError(f"{path}: line {line}, column {header[column]!r}: {cell!r} is not a number") from None
    columns = {name: table[:, i] for i, name in enumerate(header) if name != "step"}
    if not columns:
        raise LoadError(f"{path}: no metric columns besides 'step'")
    return table[:, header.index("step")], columns


def _curves(run: RunDir, notes: list[str]) -> Optional[dict]:
    """``{"steps": [...], "columns": {name: [...]}}`` from ``metrics.csv`` (NaN cells become ``None``)."""
    path = run.metrics_csv
    if not path.is_file():
        notes.append(f"No {RunDir.METRICS_CSV} in the run folder: no curves.")
        return None
    try:
        steps, columns = _read_metrics_csv(path)
    except LoadError as exc:
        notes.append(f"Curves left out: {exc}")
        return None
    as_list = lambda values: [float(v) if np.isfinite(v) else None for v in values]  # noqa: E731
    return {"steps": as_list(steps), "columns": {name: as_list(values) for name, values in columns.items()}}


def _target_mesh(run: RunDir) -> tuple[Optional[object], str]:
    """The run's target mesh and where it came from: ``target/mesh.usd``, else (runs saved before it
    existed) ``config.yaml``'s ``target``; ``(None, "")`` for a run without a target mesh."""
    if run.target_mesh.is_file():
        return load_mesh(run.target_mesh), str(run.target_mesh)
    if not run.config.is_file():
        return None, ""
    config = run.read_config()
    target = config.get("target")
    if not isinstance(target, str) or Path(target).is_dir():
        return None, ""  # a reconstruction run, or a folder of target images
    seed = config.get("seed", 0)
    return open_source(target).mesh(seed if isinstance(seed, int) else 0), target


def _target_item(run: RunDir, textures: TexturePool, notes: list[str]) -> Optional[dict]:
    """The run's target mesh (see :func:`_target_mesh`), in its own units like the run's exports, if any."""
    try:
        mesh, source = _target_mesh(run)
    except PipelineError as exc:
        notes.append(f"Target left out: {exc}")
        return None
    if mesh is None:
        return None
    return make_item([mesh], [0], textures, category="target", role="target",
                     extra={"path": source, "stats": shape_stats(mesh)})


def _final_item(run_dir: Path, textures: TexturePool, notes: list[str]) -> Optional[dict]:
    path = final_mesh_path(run_dir)
    if path is None:
        return None
    try:
        mesh = load_mesh(path)
    except PipelineError as exc:
        notes.append(f"Final mesh left out: {exc}")
        return None
    return make_item([mesh], [0], textures, category="final", role="final",
                     extra={"path": str(path), "stats": shape_stats(mesh)})


def scene_of_run(run_dir: PathLike, max_iterations: Optional[int] = None, progress: bool = True) -> tuple[dict, list[str]]:
    """The viewer scene of a run folder and the notes on what was left out."""
    run = RunDir(run_dir)
    notes: list[str] = []
    textures = TexturePool()
    scene = new_scene(f"Run: {run.path.name}", str(run.path))
    if run.timelapse.is_dir():
        try:
            scene["items"] += timelapse_items(run.timelapse, textures, max_iterations, progress)
        except PipelineError as exc:
            notes.append(f"Timelapse left out: {exc}")
    else:
        notes.append(f"No {RunDir.TIMELAPSE}/ folder in the run folder: no iterations to scrub.")
    for item in (_final_item(run.path, textures, notes), _target_item(run, textures, notes)):
        if item is not None:
            scene["items"].append(item)
    scene["curves"] = _curves(run, notes)
    scene["textures"] = textures.uris
    return scene, notes


def _format_metric(value) -> str:
    """A metric as shown in the table: floats to 4 significant digits, anything else as JSON."""
    return f"{value:.4g}" if isinstance(value, float) else json.dumps(value)


def _final_metrics_section(run: RunDir) -> str:
    path = run.metrics_json
    if not path.is_file():
        return _note(f"No {RunDir.METRICS_JSON} in the run folder: no final metrics.")
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return _note(f"Final metrics left out: {path}: not valid JSON ({exc})")
    if not isinstance(metrics, dict):
        return _note(f"Final metrics left out: {path}: expected an object of name: value")
    rows = "".join(
        f"<tr><th>{html.escape(str(key))}</th><td>{html.escape(_format_metric(value))}</td></tr>"
        for key, value in metrics.items()
    )
    return f'<table class="metrics">{rows}</table>'


def _views_section(run: RunDir) -> str:
    folder = run.views
    pairs: dict[int, dict[str, Path]] = {}
    if folder.is_dir():
        for path in folder.iterdir():
            match = VIEW_PATTERN.fullmatch(path.name)
            if match:
                pairs.setdefault(int(match.group(2)), {})[match.group(1)] = path
    if not pairs:
        return _note(f"No {RunDir.VIEWS}/target_<i>.png or {RunDir.VIEWS}/pred_<i>.png images in the run folder.")
    rows = []
    for index in sorted(pairs):
        cells = []
        for kind in ("target", "pred"):
            path = pairs[index].get(kind)
            if path is None:
                cells.append(f"<td>{_note(f'no {kind}_{index}.png')}</td>")
                continue
            try:
                cells.append(f"<td>{_img(_image_file_uri(path), f'{kind} view {index}')}</td>")
            except LoadError as exc:
                cells.append(f"<td>{_note(str(exc))}</td>")
        rows.append(f"<tr><th>{index}</th>{''.join(cells)}</tr>")
    return f'<table class="views"><tr><th>view</th><th>target</th><th>predicted</th></tr>{"".join(rows)}</table>'


def write_report(run_dir: PathLike, max_timelapse_frames: Optional[int] = None, timelapse_azimuth: float = 45.0,
                 progress: bool = False) -> Path:
    """Write ``RUN_DIR/report.html`` (atomically): the run in the 3D viewer, with its metrics, views and curves.

    Args:
        run_dir: the run folder.
        max_timelapse_frames: most iterations per logged item (evenly spaced, first and last
            kept); every logged iteration when ``None``.
        timelapse_azimuth: camera azimuth (degrees) the page opens with.
        progress: show a progress bar while reading the Timelapse.

    Raises:
        LoadError: ``run_dir`` is not a folder. Missing or unreadable inputs never raise;
            the page holds a note instead.
        ConfigError: ``max_timelapse_frames`` is not a positive int or ``None``.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise LoadError(f"{run_dir}: run folder does not exist")
    if max_timelapse_frames is not None and (not isinstance(max_timelapse_frames, int) or max_timelapse_frames < 1):
        raise ConfigError(f"write_report: max_timelapse_frames must be a positive int or None, got {max_timelapse_frames!r}")
    run = RunDir(run_dir)
    scene, notes = scene_of_run(run_dir, max_timelapse_frames, progress)
    scene["camera"] = {"azimuth": float(timelapse_azimuth)}
    sections = (
        f'<section id="notes">{"".join(_note(note) for note in notes)}</section>'
        f'<section id="metrics"><h2>Final metrics</h2>{_final_metrics_section(run)}</section>'
        f'<section id="views"><h2>Target vs. predicted views</h2>{_views_section(run)}</section>'
    )
    return run.write_text(run.report, render_page(scene, "training", sections))

