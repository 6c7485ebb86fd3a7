"""The run page: ``RUN_DIR/report.html``, the 3D viewer of the run with its metrics, views and curves.

One self-contained HTML file (:mod:`kaolin_pipeline.visualize.page`: three.js and every byte of
data inlined, nothing fetched). Inputs read from the run folder; each part is left out, with a
short note, when its input is missing or unreadable:

* ``timelapse/`` (Kaolin Timelapse USD) → every category and kind, every logged iteration, in 3D;
* ``final/mesh.usd`` (or ``.obj``, ``.glb``, ``.ply``) → the final mesh (category ``final``);
* ``config.yaml`` with a ``target`` mesh (``fit``: a file or ``synthetic:<family>``) → the target,
  shown beside the prediction;
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
import yaml
from PIL import Image, UnidentifiedImageError

from kaolin_pipeline.atomic import atomic_open
from kaolin_pipeline.errors import ConfigError, LoadError, PipelineError
from kaolin_pipeline.export.assets import final_mesh_path
from kaolin_pipeline.io.mesh import load_mesh
from kaolin_pipeline.visualize.encode import data_uri
from kaolin_pipeline.visualize.page import render_page
from kaolin_pipeline.visualize.scene import TexturePool, make_item, new_scene, shape_stats
from kaolin_pipeline.visualize.sources import timelapse_items

PathLike = Union[str, os.PathLike]

REPORT_NAME = "report.html"
METRICS_CSV = "metrics.csv"
METRICS_JSON = "metrics.json"
CONFIG_NAME = "config.yaml"
VIEWS_DIR = "views"
TIMELAPSE_DIR = "timelapse"
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


def _curves(run_dir: Path, notes: list[str]) -> Optional[dict]:
    """``{"steps": [...], "columns": {name: [...]}}`` from ``metrics.csv`` (NaN cells become ``None``)."""
    path = run_dir / METRICS_CSV
    if not path.is_file():
        notes.append(f"No {METRICS_CSV} in the run folder: no curves.")
        return None
    try:
        steps, columns = _read_metrics_csv(path)
    except LoadError as exc:
        notes.append(f"Curves left out: {exc}")
        return None
    as_list = lambda values: [float(v) if np.isfinite(v) else None for v in values]  # noqa: E731
    return {"steps": as_list(steps), "columns": {name: as_list(values) for name, values in columns.items()}}


def _target_item(run_dir: Path, textures: TexturePool, notes: list[str]) -> Optional[dict]:
    """The run's target mesh (``config.yaml``'s ``target``, placed as the ``fit`` recipe places it), if any."""
    path = run_dir / CONFIG_NAME
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, yaml.YAMLError) as exc:
        notes.append(f"Target left out: {path}: {exc}")
        return None
    target = config.get("target") if isinstance(config, dict) else None
    if not isinstance(target, str) or Path(target).is_dir():
        return None  # no target mesh: a reconstruction run, or a folder of target images
    from kaolin_pipeline.train.fit import read_target_mesh  # in its own units, like fit's exports

    try:
        mesh = read_target_mesh(target, int(config.get("seed", 0)))
    except (PipelineError, ValueError, TypeError, AttributeError) as exc:
        notes.append(f"Target left out: {target}: {exc}")
        return None
    return make_item([mesh], [0], textures, category="target", role="target",
                     extra={"path": target, "stats": shape_stats(mesh)})


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
    run_dir = Path(run_dir)
    notes: list[str] = []
    textures = TexturePool()
    scene = new_scene(f"Run: {run_dir.name}", str(run_dir))
    if (run_dir / TIMELAPSE_DIR).is_dir():
        try:
            scene["items"] += timelapse_items(run_dir / TIMELAPSE_DIR, textures, max_iterations, progress)
        except PipelineError as exc:
            notes.append(f"Timelapse left out: {exc}")
    else:
        notes.append(f"No {TIMELAPSE_DIR}/ folder in the run folder: no iterations to scrub.")
    for item in (_final_item(run_dir, textures, notes), _target_item(run_dir, textures, notes)):
        if item is not None:
            scene["items"].append(item)
    scene["curves"] = _curves(run_dir, notes)
    scene["textures"] = textures.uris
    return scene, notes


def _format_metric(value) -> str:
    """A metric as shown in the table: floats to 4 significant digits, anything else as JSON."""
    return f"{value:.4g}" if isinstance(value, float) else json.dumps(value)


def _final_metrics_section(run_dir: Path) -> str:
    path = run_dir / METRICS_JSON
    if not path.is_file():
        return _note(f"No {METRICS_JSON} in the run folder: no final metrics.")
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


def _views_section(run_dir: Path) -> str:
    folder = run_dir / VIEWS_DIR
    pairs: dict[int, dict[str, Path]] = {}
    if folder.is_dir():
        for path in folder.iterdir():
            match = VIEW_PATTERN.fullmatch(path.name)
            if match:
                pairs.setdefault(int(match.group(2)), {})[match.group(1)] = path
    if not pairs:
        return _note(f"No {VIEWS_DIR}/target_<i>.png or {VIEWS_DIR}/pred_<i>.png images in the run folder.")
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
    scene, notes = scene_of_run(run_dir, max_timelapse_frames, progress)
    scene["camera"] = {"azimuth": float(timelapse_azimuth)}
    sections = (
        f'<section id="notes">{"".join(_note(note) for note in notes)}</section>'
        f'<section id="metrics"><h2>Final metrics</h2>{_final_metrics_section(run_dir)}</section>'
        f'<section id="views"><h2>Target vs. predicted views</h2>{_views_section(run_dir)}</section>'
    )
    path = run_dir / REPORT_NAME
    with atomic_open(path, "w", encoding="utf-8") as handle:
        handle.write(render_page(scene, "training", sections))
    return path

