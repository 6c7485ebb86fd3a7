"""The HTML report: self-contained (only data: URIs), every image decodes, sections degrade to notes."""
from __future__ import annotations

import base64
import io
import json
import math
import re

import numpy as np
import pytest
import torch
from PIL import Image

from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.errors import ConfigError, LoadError, RenderError
from kaolin_pipeline.export import report
from kaolin_pipeline.export.assets import export_assets
from kaolin_pipeline.export.report import dibr_frame_renderer, write_report
from kaolin_pipeline.export.timelapse import Timelapse

VERTICES = torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
FACES = torch.tensor([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
ITERATIONS = [0, 10, 20]
DATA_URI = re.compile(r"data:(image/[a-z]+);base64,([A-Za-z0-9+/=]+)")


class StubRenderer:
    """Stands in for the DIB-R frame renderer: a flat image whose colour encodes the mesh's size and the azimuth."""

    def __init__(self):
        self.calls = []

    def __call__(self, mesh, azimuths):
        self.calls.append((mesh, list(azimuths)))
        extent = float(mesh.vertices.max() - mesh.vertices.min())
        return [np.full((16, 24, 3), (int(extent * 100) % 256, int(a) % 256, 7), dtype=np.uint8) for a in azimuths]


def _view_image(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (12, 10, 3), dtype=np.uint8)


def make_run(run_dir):
    """A run folder with every input the report reads."""
    run_dir.mkdir()
    (run_dir / "metrics.csv").write_text("step,loss,iou\n0,1.0,0.1\n10,0.1,\n20,0.01,0.9\n")
    (run_dir / "metrics.json").write_text(json.dumps({"chamfer": 0.012, "f_score": 0.75, "psnr": 28.123456}))
    (run_dir / "views").mkdir()
    for i in range(2):
        Image.fromarray(_view_image(2 * i)).save(run_dir / "views" / f"target_{i}.png")
        Image.fromarray(_view_image(2 * i + 1)).save(run_dir / "views" / f"pred_{i}.png")
    export_assets(Mesh(VERTICES, FACES), run_dir / "final", formats=("obj",))
    timelapse = Timelapse(run_dir / "timelapse")
    for iteration in ITERATIONS:
        scale = 1.0 + iteration / 10
        timelapse.add_mesh_batch(iteration=iteration, category="fit", vertices_list=[VERTICES * scale],
                                 faces_list=[FACES])
    return run_dir


def _decode(uri_match) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(uri_match.group(2))))
    image.load()
    assert Image.MIME[image.format] == uri_match.group(1)
    return image


def _section(page: str, key: str) -> str:
    match = re.search(rf'<section id="{key}">(.*?)</section>', page, re.S)
    assert match, f"no section {key}"
    return match.group(1)


def test_full_report_is_self_contained_and_images_decode(tmp_path):
    run = make_run(tmp_path / "run")
    stub = StubRenderer()
    path = write_report(run, frame_renderer=stub, turntable_frames=6)
    assert path == run / "report.html"
    page = path.read_text(encoding="utf-8")

    # offline: no URL schemes other than data:, no file references, no external resources
    assert not re.search(r"https?:|file:|//[a-z]", DATA_URI.sub("", page), re.I)
    sources = re.findall(r'\b(?:src|href)="([^"]*)"', page)
    assert sources and all(source.startswith("data:image/") for source in sources)
    assert "<link" not in page and not re.search(r"<script[^>]+src", page)
    decoded = [_decode(m) for m in DATA_URI.finditer(page)]
    assert len(decoded) == 1 + 4 + 1 + 1 + len(ITERATIONS)  # curves, views, turntable, slider <img> + its frames

    curves = DATA_URI.search(_section(page, "curves"))
    assert _decode(curves).size[0] > 300

    views = [(_decode(m)) for m in DATA_URI.finditer(_section(page, "views"))]
    for index, image in enumerate(views):  # order: target_0, pred_0, target_1, pred_1
        np.testing.assert_array_equal(np.asarray(image.convert("RGB")), _view_image(index))

    gif = _decode(DATA_URI.search(_section(page, "turntable")))
    assert gif.format == "GIF" and gif.n_frames == 6
    turntable_mesh, azimuths = stub.calls[0]
    assert azimuths == [0.0, 60.0, 120.0, 180.0, 240.0, 300.0]
    # framed into the unit sphere: bounding-box centre at the origin, farthest vertex at distance 1
    box_center = (turntable_mesh.vertices.min(0).values + turntable_mesh.vertices.max(0).values) / 2
    assert torch.allclose(box_center, torch.zeros(3), atol=1e-6)
    assert float(turntable_mesh.vertices.norm(dim=1).max()) == pytest.approx(1.0)

    assert "chamfer" in _section(page, "metrics") and "0.012" in _section(page, "metrics")
    assert "28.12<" in _section(page, "metrics") and "28.123456" not in _section(page, "metrics")

    timelapse = _section(page, "timelapse")
    data = json.loads(re.search(r'<script type="application/json">(.*?)</script>', timelapse, re.S).group(1))
    assert data["iterations"] == ITERATIONS
    frames = [np.asarray(_decode(DATA_URI.match(uri))) for uri in data["frames"]]
    # One shared framing (the last mesh's): meshes logged at 1x, 2x, 3x keep their relative sizes.
    # The 3x tetrahedron's box centre is (1.5, 1.5, 1.5), its farthest vertex 1.5 * sqrt(3) away,
    # so the k-times mesh spans k / (1.5 * sqrt(3)) along each axis.
    expected = [int(100 * k / (1.5 * math.sqrt(3))) for k in (1, 2, 3)]
    assert [int(frame[0, 0, 0]) for frame in frames] == expected
    assert f'max="{len(ITERATIONS) - 1}"' in timelapse and "iteration 20" in timelapse


def test_slider_subsamples_iterations_keeping_first_and_last(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    timelapse = Timelapse(run / "timelapse")
    for iteration in range(7):
        timelapse.add_mesh_batch(iteration=iteration, category="", vertices_list=[VERTICES], faces_list=[FACES])
    page = write_report(run, frame_renderer=StubRenderer(), max_timelapse_frames=3).read_text()
    data = json.loads(re.search(r'<script type="application/json">(.*?)</script>', page, re.S).group(1))
    assert data["iterations"] == [0, 3, 6] and len(data["frames"]) == 3


def test_empty_run_gives_notes_for_every_section(tmp_path):
    page = write_report(tmp_path, frame_renderer=StubRenderer()).read_text()
    for key, words in [("curves", "No metrics.csv"), ("metrics", "No metrics.json"), ("views", "No views/"),
                       ("turntable", "No final/mesh"), ("timelapse", "No timelapse/")]:
        assert words in _section(page, key)
    assert "<img" not in page


def test_unreadable_inputs_become_notes_naming_the_file(tmp_path):
    run = make_run(tmp_path / "run")
    (run / "metrics.csv").write_text("step,loss\n0,1.0\n1,abc\n")
    (run / "metrics.json").write_text("{oops")
    (run / "views" / "pred_1.png").write_bytes(b"not a png")
    (run / "views" / "target_1.png").unlink()
    (run / "final" / "mesh.obj").write_text("v 0 0 0\nf 1 2 3\n")
    page = write_report(run, frame_renderer=StubRenderer()).read_text()
    assert re.search(r"metrics\.csv: line 3, column &#x27;loss&#x27;: &#x27;abc&#x27; is not a number",
                     _section(page, "curves"))
    assert "metrics.json: not valid JSON" in _section(page, "metrics")
    views = _section(page, "views")
    assert "pred_1.png: not a readable image" in views and "no target_1.png" in views
    assert len(DATA_URI.findall(views)) == 2
    assert "Turntable left out" in _section(page, "turntable") and "mesh.obj" in _section(page, "turntable")


def test_metrics_csv_parsing_against_hand_values(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("loss,step,lr\n0.5,0,1e-3\n0.25,5,\n")
    steps, columns = report._read_metrics_csv(path)
    np.testing.assert_array_equal(steps, [0, 5])
    np.testing.assert_array_equal(columns["loss"], [0.5, 0.25])
    assert columns["lr"][0] == 1e-3 and np.isnan(columns["lr"][1]) and set(columns) == {"loss", "lr"}
    for text, words in [("loss\n1\n", "'step' column"), ("step,loss\n", "no rows"), ("step\n1\n", "no metric"),
                        ("step,loss\n1,2,3\n", "line 2 has 3 fields")]:
        path.write_text(text)
        with pytest.raises(LoadError, match=words):
            report._read_metrics_csv(path)


def test_renderer_missing_or_failing_leaves_notes(tmp_path, monkeypatch):
    run = make_run(tmp_path / "run")

    def no_renderer(*args, **kwargs):
        raise ImportError("No module named 'kaolin_pipeline.render.renderer'")

    monkeypatch.setattr(report, "dibr_frame_renderer", no_renderer)
    page = write_report(run).read_text()
    for key in ("turntable", "timelapse"):
        assert "DIBRenderer" in _section(page, key) and "cannot be imported" in _section(page, key)
    assert DATA_URI.search(_section(page, "curves"))  # the other sections are still there

    def broken(mesh, azimuths):
        raise RenderError("DIBRenderer: faces must be long")

    page = write_report(run, frame_renderer=broken).read_text()
    assert "faces must be long" in _section(page, "turntable")
    assert "fit / mesh_0 left out" in _section(page, "timelapse")


def test_write_report_argument_errors(tmp_path):
    with pytest.raises(LoadError, match="missing"):
        write_report(tmp_path / "missing")
    with pytest.raises(ConfigError, match="turntable_frames"):
        write_report(tmp_path, frame_renderer=StubRenderer(), turntable_frames=0)


def test_view_run_writes_report_without_opening_browser(tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr(report.webbrowser, "open", opened.append)
    monkeypatch.setattr(report, "dibr_frame_renderer", lambda: StubRenderer())
    path = report.view_run(tmp_path)
    assert path == tmp_path / "report.html" and path.is_file() and opened == [path.resolve().as_uri()]


def test_dibr_frame_renderer_draws_a_cube_silhouette_of_hand_computed_size():
    # A red cube of half-size 1/sqrt(3) (farthest vertex at distance 1) seen head-on (elevation 0) from
    # distance d = 1.05 / sin(20 deg) with fovy 40: its front face at z = 1/sqrt(3) projects to
    # |x|, |y| < (1/sqrt(3)) / (d - 1/sqrt(3)) / tan(20 deg) = 0.636 in image coordinates, i.e. pixel
    # centres (2w + 1 - 32) / 32 for w = 6 .. 25: a 20 x 20 square in a 32 x 32 image.
    half = 1 / math.sqrt(3)
    corners = torch.tensor([[x, y, z] for x in (-half, half) for y in (-half, half) for z in (-half, half)])
    faces = torch.tensor([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                          [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])
    cube = Mesh(corners, faces, vertex_colors=torch.tensor([[1.0, 0.0, 0.0]]).expand(8, 3).contiguous())
    frames = dibr_frame_renderer(image_size=32, elevation=0.0, fovy=40.0)(cube, [0.0, 90.0])
    assert len(frames) == 2
    for frame in frames:
        assert frame.shape == (32, 32, 3) and frame.dtype == np.uint8
        covered = ~(frame == 255).all(axis=-1)
        expected = np.zeros((32, 32), dtype=bool)
        expected[6:26, 6:26] = True
        np.testing.assert_array_equal(covered, expected)
        assert (frame[covered][:, 1:] == 0).all()  # red albedo: no green or blue inside the silhouette
