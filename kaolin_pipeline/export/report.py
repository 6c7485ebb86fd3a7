"""The run report: ``RUN_DIR/report.html``, one self-contained page that works offline.

Every image is inlined as a base64 ``data:`` URI; there is no external script,
style sheet or font. Inputs read from the run folder (each section is left out with
a short note when its input is missing or unreadable):

* ``metrics.csv``: column ``step`` plus numeric columns -> one curve per column;
* ``metrics.json``: final metrics -> a table;
* ``views/target_<i>.png`` and ``views/pred_<i>.png`` -> target vs. predicted pairs;
* ``final/mesh.usd`` (or ``.obj``, ``.glb``, ``.ply``) -> a turntable GIF;
* ``timelapse/`` (Kaolin Timelapse USD) -> one frame per logged iteration of each
  mesh, with an ``<input type=range>`` slider choosing the frame.

Meshes become images through a *frame renderer*: a function
``(mesh, azimuths in degrees) -> list of (H, W, 3) uint8 images``. The default one,
:func:`dibr_frame_renderer`, uses :class:`kaolin_pipeline.render.DIBRenderer`.
"""
from __future__ import annotations

import base64
import csv
import html
import io
import json
import math
import os
import re
import webbrowser
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Optional, Sequence, Union

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from kaolin_pipeline.io.mesh import load_mesh
from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.errors import ConfigError, LoadError, PipelineError
from kaolin_pipeline.export.assets import final_mesh_path
from kaolin_pipeline.atomic import atomic_open

PathLike = Union[str, os.PathLike]
FrameRenderer = Callable[[Mesh, Sequence[float]], list]

REPORT_NAME = "report.html"
METRICS_CSV = "metrics.csv"
METRICS_JSON = "metrics.json"
VIEWS_DIR = "views"
TIMELAPSE_DIR = "timelapse"
VIEW_PATTERN = re.compile(r"(target|pred)_(\d+)\.png")


# --------------------------------------------------------------------------- frame rendering


def dibr_frame_renderer(image_size: int = 128, elevation: float = 20.0, fovy: float = 40.0) -> FrameRenderer:
    """A frame renderer on :class:`~kaolin_pipeline.render.DIBRenderer`: smooth shading, a headlight, white background.

    The mesh is expected inside the unit sphere around the origin (the report frames
    it so); cameras sit just far enough away for that sphere to fill the view.

    Raises:
        ImportError: the renderer package cannot be imported.
    """
    from kaolin_pipeline.render import DIBRenderer, DirectionalLight, look_at_cameras

    renderer = DIBRenderer(image_size, background=(1.0, 1.0, 1.0), shading="smooth")
    distance = 1.05 / math.sin(math.radians(fovy) / 2)

    @torch.no_grad()
    def render(mesh: Mesh, azimuths: Sequence[float]) -> list:
        device = mesh.vertices.device
        cameras = look_at_cameras(torch.as_tensor(azimuths, dtype=torch.float32), elevation, distance, fovy,
                                  device=device)
        images = renderer.to(device)(mesh, cameras=cameras, lights=DirectionalLight())["image"]
        return list((images.clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy())

    return render


def _framed(mesh: Mesh, center: torch.Tensor, scale: float) -> Mesh:
    """``mesh`` moved by ``-center`` and scaled by ``scale`` (a shared framing keeps sizes comparable)."""
    moved = mesh.to(dtype=torch.float32)
    moved.vertices = (moved.vertices - center) * scale
    return moved


def _framing(mesh: Mesh) -> tuple[torch.Tensor, float]:
    """Centre of ``mesh``'s bounding box and the scale putting its farthest vertex at distance 1."""
    vertices = mesh.vertices.to(torch.float32)
    center = (vertices.min(0).values + vertices.max(0).values) / 2
    radius = float((vertices - center).norm(dim=1).max())
    return center, (1.0 / radius if radius > 0 else 1.0)


# --------------------------------------------------------------------------- encoding


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _png_uri(image: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buffer, format="PNG")
    return _data_uri(buffer.getvalue(), "image/png")


def _gif_uri(frames: Sequence[np.ndarray], frame_ms: int) -> str:
    images = [Image.fromarray(np.asarray(frame, dtype=np.uint8)) for frame in frames]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=frame_ms, loop=0)
    return _data_uri(buffer.getvalue(), "image/gif")


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
    return _data_uri(path.read_bytes(), mime)


def _img(uri: str, alt: str, **attributes: str) -> str:
    extra = "".join(f' {key}="{html.escape(value)}"' for key, value in attributes.items())
    return f'<img src="{uri}" alt="{html.escape(alt)}"{extra}>'


def _note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


# --------------------------------------------------------------------------- sections


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


def _curves_png(steps: np.ndarray, columns: dict[str, np.ndarray]) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    ncols = min(3, len(columns))
    nrows = math.ceil(len(columns) / ncols)
    figure = Figure(figsize=(4.2 * ncols, 3.0 * nrows), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    for index, (name, values) in enumerate(columns.items()):
        axes = figure.add_subplot(nrows, ncols, index + 1)
        finite = np.isfinite(values)
        axes.plot(steps[finite], values[finite], linewidth=1.2)
        positive = values[finite]
        if positive.size and (positive > 0).all() and positive.max() / positive.min() > 100:
            axes.set_yscale("log")
        axes.set_title(name)
        axes.set_xlabel("step")
        axes.grid(True, alpha=0.3)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _curves_section(run_dir: Path) -> str:
    path = run_dir / METRICS_CSV
    if not path.is_file():
        return _note(f"No {METRICS_CSV} in the run folder: no curves.")
    try:
        steps, columns = _read_metrics_csv(path)
    except LoadError as exc:
        return _note(f"Curves left out: {exc}")
    return _img(_data_uri(_curves_png(steps, columns), "image/png"), "loss and metric curves", id="curves")


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


def _turntable_section(run_dir: Path, renderer: Optional[FrameRenderer], unavailable: str, frames: int) -> str:
    path = final_mesh_path(run_dir)
    if path is None:
        return _note("No final/mesh.usd, .obj, .glb or .ply in the run folder: no turntable.")
    if renderer is None:
        return _note(f"Turntable left out: {unavailable}")
    try:
        mesh = load_mesh(path)
        azimuths = [360.0 * i / frames for i in range(frames)]
        images = renderer(_framed(mesh, *_framing(mesh)), azimuths)
    except (PipelineError, RuntimeError) as exc:
        return _note(f"Turntable left out: rendering {path.name} failed: {exc}")
    return _img(_gif_uri(images, frame_ms=120), f"turntable of {path.name}", id="turntable")


def _evenly_spaced(values: list, count: int) -> list:
    """At most ``count`` items of ``values``, evenly spaced, always keeping the first and the last."""
    if len(values) <= count:
        return values
    picks = np.unique(np.round(np.linspace(0, len(values) - 1, count)).astype(int))
    return [values[i] for i in picks]


def _slider(slider_id: str, title: str, iterations: list[int], uris: list[str]) -> str:
    last = len(uris) - 1
    data = json.dumps({"iterations": iterations, "frames": uris}).replace("</", "<\\/")
    return (
        f'<figure class="timelapse" data-timelapse id="{slider_id}">'
        f"<figcaption>{html.escape(title)}</figcaption>"
        f"{_img(uris[last], title + ' frame')}"
        f'<div><input type="range" min="0" max="{last}" value="{last}" step="1" aria-label="iteration">'
        f" <output>iteration {iterations[last]}</output></div>"
        f'<script type="application/json">{data}</script></figure>'
    )


def _timelapse_section(run_dir: Path, renderer: Optional[FrameRenderer], unavailable: str,
                       max_frames: int, azimuth: float) -> str:
    log_dir = run_dir / TIMELAPSE_DIR
    if not log_dir.is_dir():
        return _note(f"No {TIMELAPSE_DIR}/ folder in the run folder: no iteration slider.")
    from kaolin_pipeline.export.timelapse import TimelapseReader

    try:
        reader = TimelapseReader(log_dir)
        items = [(category, index) for category in reader.categories for index in reader.ids(category, "mesh")]
    except PipelineError as exc:
        return _note(f"Timelapse left out: {exc}")
    if not items:
        return _note(f"No meshes in {TIMELAPSE_DIR}/: no iteration slider.")
    if renderer is None:
        return _note(f"Timelapse frames left out: {unavailable}")
    parts = []
    for number, (category, index) in enumerate(items):
        title = f"{category or '(no category)'} / mesh_{index}"
        try:
            iterations = _evenly_spaced(reader.iterations(category, "mesh", index), max_frames)
            meshes = [reader.mesh(category, index, iteration) for iteration in iterations]
            center, scale = _framing(meshes[-1])
            uris = [_png_uri(renderer(_framed(mesh, center, scale), [azimuth])[0]) for mesh in meshes]
        except (PipelineError, RuntimeError) as exc:
            parts.append(_note(f"{title} left out: {exc}"))
            continue
        parts.append(_slider(f"timelapse-{number}", title, iterations, uris))
    return "".join(parts)


# --------------------------------------------------------------------------- page

_STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
h1 { margin-bottom: 0.2em; } .meta { color: #666; margin-top: 0; }
section { margin: 2em 0; } .note { color: #8a5a00; font-style: italic; }
img { max-width: 100%; image-rendering: auto; }
table { border-collapse: collapse; } th, td { padding: 0.3em 0.8em; text-align: left; vertical-align: top; }
table.metrics tr:nth-child(odd) { background: #f3f3f3; }
table.views img { width: 192px; image-rendering: pixelated; }
figure.timelapse { display: inline-block; margin: 0 2em 1em 0; } figure.timelapse input { width: 16em; }
"""

# Swaps the frame shown when a slider moves; frames live in the figure's JSON block.
_SCRIPT = """
document.querySelectorAll("[data-timelapse]").forEach(function (figure) {
  var data = JSON.parse(figure.querySelector("script[type='application/json']").textContent);
  var slider = figure.querySelector("input[type=range]");
  var image = figure.querySelector("img");
  var label = figure.querySelector("output");
  slider.addEventListener("input", function () {
    image.src = data.frames[slider.value];
    label.textContent = "iteration " + data.iterations[slider.value];
  });
});
"""


def _page(run_dir: Path, sections: list[tuple[str, str, str]]) -> str:
    body = "".join(
        f'<section id="{key}"><h2>{html.escape(title)}</h2>{content}</section>' for key, title, content in sections
    )
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Run report: {html.escape(run_dir.name)}</title><style>{_STYLE}</style></head><body>"
        f'<h1>Run report: {html.escape(run_dir.name)}</h1><p class="meta">{html.escape(str(run_dir))}, {stamp}</p>'
        f"{body}<script>{_SCRIPT}</script></body></html>\n"
    )


def write_report(run_dir: PathLike, frame_renderer: Optional[FrameRenderer] = None,
                 turntable_frames: int = 12, max_timelapse_frames: int = 12,
                 timelapse_azimuth: float = 30.0) -> Path:
    """Write ``RUN_DIR/report.html`` (atomically) and return its path.

    Args:
        run_dir: the run folder.
        frame_renderer: ``(mesh, azimuths) -> list of (H, W, 3) uint8`` images; ``None`` uses
            :func:`dibr_frame_renderer`, and when the renderer cannot be imported the
            turntable and slider frames are left out with a note.
        turntable_frames: frames of the turntable GIF (one full turn).
        max_timelapse_frames: most frames per slider (iterations are subsampled evenly).
        timelapse_azimuth: camera azimuth (degrees) of the slider frames.

    Raises:
        LoadError: ``run_dir`` is not a folder. Missing or unreadable inputs never raise;
            their sections hold a note instead.
        ConfigError: a frame count is not a positive int.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise LoadError(f"{run_dir}: run folder does not exist")
    for name, value in (("turntable_frames", turntable_frames), ("max_timelapse_frames", max_timelapse_frames)):
        if not isinstance(value, int) or value < 1:
            raise ConfigError(f"write_report: {name} must be a positive int, got {value!r}")
    unavailable = ""
    if frame_renderer is None:
        try:
            frame_renderer = dibr_frame_renderer()
        except ImportError as exc:
            unavailable = f"the DIB-R renderer (kaolin_pipeline.render.DIBRenderer) cannot be imported ({exc})."
    sections = [
        ("curves", "Loss and metric curves", _curves_section(run_dir)),
        ("metrics", "Final metrics", _final_metrics_section(run_dir)),
        ("views", "Target vs. predicted views", _views_section(run_dir)),
        ("turntable", "Final mesh", _turntable_section(run_dir, frame_renderer, unavailable, turntable_frames)),
        ("timelapse", "Timelapse", _timelapse_section(run_dir, frame_renderer, unavailable,
                                                      max_timelapse_frames, timelapse_azimuth)),
    ]
    path = run_dir / REPORT_NAME
    with atomic_open(path, "w", encoding="utf-8") as handle:
        handle.write(_page(run_dir, sections))
    return path


def view_run(run_dir: PathLike, open_browser: bool = True) -> Path:
    """``kaolin-pipeline view RUN_DIR``: (re)write the report and open it in the default web browser.

    Returns the report's path (print it where no browser can be opened).
    """
    path = write_report(run_dir)
    if open_browser:
        webbrowser.open(path.resolve().as_uri())
    return path
