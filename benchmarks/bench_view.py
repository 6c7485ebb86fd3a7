"""Viewer scale: a 1,000-iteration textured log and a 5,000-shape dataset, opened in headless Chromium.

Usage::

    .venv/bin/python benchmarks/bench_view.py [--iterations 1000] [--shapes 5000] [--rendered 200]
                                              [--out benchmarks/results/bench_view.json]

Log: a 10,000-face torus (trimesh, 5,000 vertices) with per-vertex UVs and a 256 x 256 texture is
logged with ``Timelapse.add_mesh_batch`` at every iteration (vertices and texture change each
time). ``write_view`` reads it back and writes the page; the page is opened from ``file://`` in
headless Chromium (SwiftShader software WebGL) and timed from navigation start to the first
drawn picture (``kpViewer.readyTime``: scene parsed, first frame decoded and rendered, controls
live); then one scrub to another iteration is timed. Median of 3 opens.

Dataset: ``synthetic:N``. The first ``--rendered`` thumbnails are rendered with
``render_antialiased`` and timed (per shape); the cache entries of the other shapes are seeded
with copies of those (same size class of JPEG), so the page has N distinct entries without
rendering all N on a shared machine (``--rendered N`` renders every one). The page is then
written from the cache (3D data inlined up to the default 40 MB budget) and opened like the log,
timed to the first drawn grid.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import trimesh

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "helpers"))
from chromium_devtools import CHROMIUM, DevTools, open_viewer  # noqa: E402

from kaolin_pipeline.datasets import SyntheticShapes  # noqa: E402
from kaolin_pipeline.export.timelapse import Timelapse  # noqa: E402
from kaolin_pipeline.visualize import dataset as dataset_module  # noqa: E402
from kaolin_pipeline.visualize.view import write_view  # noqa: E402


def print_table(title, header, rows):
    print(f"\n{title}")
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    for line in [header, ["-" * w for w in widths]] + rows:
        print("  ".join(str(x).rjust(w) for x, w in zip(line, widths)))


def textured_torus():
    torus = trimesh.creation.torus(major_radius=1.0, minor_radius=0.3, major_sections=100, minor_sections=50)
    vertices = torch.tensor(torus.vertices, dtype=torch.float32)
    faces = torch.tensor(torus.faces, dtype=torch.long)
    angle = torch.atan2(vertices[:, 1], vertices[:, 0])
    ring = torch.atan2(vertices[:, 2], vertices[:, :2].norm(dim=1) - 1.0)
    uvs = torch.stack([(angle + math.pi) / (2 * math.pi), (ring + math.pi) / (2 * math.pi)], 1)
    return vertices, faces, uvs


def texture_at(iteration: int, size: int = 256) -> torch.Tensor:
    """A smooth texture that drifts with the iteration, like a learned one."""
    y, x = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
    phase = iteration / 50
    return torch.stack([0.5 + 0.4 * torch.sin(6 * x + phase), 0.5 + 0.4 * torch.cos(5 * y - phase),
                        0.5 + 0.3 * torch.sin(4 * (x + y) + 2 * phase)]).clamp(0, 1)


def open_times(browser: DevTools, url: str, repeats: int = 3) -> tuple[list[float], float]:
    """Seconds from navigation start to the first drawn picture, per open; and one scrub's seconds."""
    times, scrub = [], float("nan")
    for _ in range(repeats):
        session = open_viewer(browser, url, width=1200, height=1000)
        times.append(browser.evaluate(session, "window.kpViewer.readyTime") / 1000)
        scrub = browser.evaluate(session, """(async () => {
          const slider = document.getElementById('kp-iteration');
          if (slider.disabled || document.body.dataset.mode !== 'training') return NaN;
          const start = performance.now();
          slider.value = Math.floor(slider.max / 2); slider.dispatchEvent(new Event('input'));
          await window.kpViewer.settled();
          return (performance.now() - start) / 1000; })()""")
        browser.call("Page.navigate", session, url="about:blank")  # free the page's memory before the next open
    return times, scrub


def bench_log(folder: Path, iterations: int, browser: DevTools) -> dict:
    vertices, faces, uvs = textured_torus()
    timelapse = Timelapse(folder / "timelapse")
    start = time.perf_counter()
    for iteration in range(iterations):
        wobble = 1 + 0.1 * math.sin(iteration / 40) * torch.sin(3 * vertices[:, :1])
        timelapse.add_mesh_batch(iteration=iteration, category="fit", vertices_list=[vertices * wobble],
                                 faces_list=[faces], uvs_list=[uvs], face_uvs_idx_list=[faces],
                                 materials_list=[texture_at(iteration)])
    log_s = time.perf_counter() - start
    start = time.perf_counter()
    page = write_view(folder / "timelapse", out=folder / "log.html")
    write_s = time.perf_counter() - start
    opens, scrub = open_times(browser, page.resolve().as_uri())
    return {"iterations": iterations, "faces": int(faces.shape[0]), "vertices": int(vertices.shape[0]),
            "texture": "256x256", "log_s": log_s, "write_page_s": write_s, "page_mb": page.stat().st_size / 2 ** 20,
            "open_s": opens, "open_median_s": statistics.median(opens), "scrub_s": scrub}


def bench_dataset(folder: Path, shapes: int, rendered: int, browser: DevTools) -> dict:
    spec, cache_dir = f"synthetic:{shapes}", folder / "cache"
    dataset, cache = SyntheticShapes(shapes), dataset_module.ThumbnailCache(cache_dir)
    rendered = min(rendered, shapes)
    start = time.perf_counter()
    made = []
    for index in range(rendered):
        mesh, fields = dataset_module.shape_of(dataset, index)
        made.append((dataset_module.render_thumbnail(mesh), dataset_module.shape_stats(mesh)))
        cache.put(dataset.source_key(index), made[-1][0], {**made[-1][1], **fields})
    render_s = (time.perf_counter() - start) / max(rendered, 1)
    for index in range(rendered, shapes):  # seeded copies (see the module docstring)
        thumbnail, stats = made[index % rendered]
        cache.put(dataset.source_key(index), thumbnail,
                  {**stats, "path": f"synthetic://{dataset.family(index)}/0/{index}", "category": dataset.family(index)})
    start = time.perf_counter()
    page = write_view(spec, out=folder / "dataset.html", cache_dir=cache_dir)
    write_s = time.perf_counter() - start
    opens, _ = open_times(browser, page.resolve().as_uri())
    return {"shapes": shapes, "rendered_thumbnails": rendered, "thumbnail_s_per_shape": render_s,
            "write_page_cached_s": write_s, "page_mb": page.stat().st_size / 2 ** 20, "open_s": opens,
            "open_median_s": statistics.median(opens)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--shapes", type=int, default=5000)
    parser.add_argument("--rendered", type=int, default=200)
    parser.add_argument("--only", choices=["log", "dataset"],
                        help="run one part; the other part's figures are kept from an existing --out file")
    parser.add_argument("--out", default="benchmarks/results/bench_view.json")
    args = parser.parse_args()
    if CHROMIUM is None:
        sys.exit("chromium is not installed (Debian: apt-get install -y chromium)")
    torch.set_num_threads(1)
    previous = json.loads(Path(args.out).read_text()) if args.only and Path(args.out).is_file() else {}
    with tempfile.TemporaryDirectory() as tmp:
        browser = DevTools(Path(tmp) / "profile", webgl=True)
        try:
            log = previous.get("log") if args.only == "dataset" else bench_log(Path(tmp), args.iterations, browser)
            data = previous.get("dataset") if args.only == "log" else bench_dataset(Path(tmp), args.shapes,
                                                                                   args.rendered, browser)
        finally:
            browser.close()
    if log:
        print_table("Training Visualizer: textured log", ["iterations", "faces", "log s", "page write s", "page MB",
                                                          "open s (median of 3)", "scrub s"],
                    [[log["iterations"], log["faces"], f"{log['log_s']:.1f}", f"{log['write_page_s']:.1f}",
                      f"{log['page_mb']:.1f}", f"{log['open_median_s']:.2f}", f"{log['scrub_s']:.2f}"]])
    if data:
        print_table("Dataset Visualizer", ["shapes", "thumbnail s/shape", "page write s (cached)", "page MB",
                                           "open s (median of 3)"],
                    [[data["shapes"], f"{data['thumbnail_s_per_shape']:.3f}", f"{data['write_page_cached_s']:.1f}",
                      f"{data['page_mb']:.1f}", f"{data['open_median_s']:.2f}"]])
    result = {"log": log, "dataset": data, "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                                                        "chromium": CHROMIUM, "torch": torch.__version__}}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwritten: {args.out}")


if __name__ == "__main__":
    main()
