"""The run page (report.html): self-contained, holds every logged iteration, the target, curves, metrics and views."""
from __future__ import annotations

import base64
import io
import json
import math
import re

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from kaolin_pipeline.errors import ConfigError, LoadError
from kaolin_pipeline.visualize import report
from kaolin_pipeline.export.assets import export_assets
from kaolin_pipeline.visualize.report import write_report
from kaolin_pipeline.export.timelapse import Timelapse
from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.visualize.encode import decode, quantization_step

VERTICES = torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
FACES = torch.tensor([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
ITERATIONS = [0, 10, 20]
TARGET_SCALE = 0.7
DATA_URI = re.compile(r"data:(image/[a-z]+);base64,([A-Za-z0-9+/=]+)")


def _view_image(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (12, 10, 3), dtype=np.uint8)


def make_run(run_dir):
    """A run folder with every input the page reads; mesh_0 at iteration i is VERTICES * (1 + i / 10)."""
    run_dir.mkdir()
    (run_dir / "metrics.csv").write_text("step,loss,iou\n0,1.0,0.1\n10,0.1,\n20,0.01,0.9\n")
    (run_dir / "metrics.json").write_text(json.dumps({"chamfer": 0.012, "psnr_foreground": 28.123456,
                                                      "folded_faces": 3}))
    (run_dir / "config.yaml").write_text(yaml.safe_dump({"target": "synthetic:sphere", "seed": 0,
                                                         "views": {"target_scale": TARGET_SCALE}}))
    (run_dir / "views").mkdir()
    for i in range(2):
        Image.fromarray(_view_image(2 * i)).save(run_dir / "views" / f"target_{i}.png")
        Image.fromarray(_view_image(2 * i + 1)).save(run_dir / "views" / f"pred_{i}.png")
    export_assets(Mesh(VERTICES, FACES), run_dir / "final", formats=("obj",))
    timelapse = Timelapse(run_dir / "timelapse")
    for iteration in ITERATIONS:
        timelapse.add_mesh_batch(iteration=iteration, category="fit", vertices_list=[VERTICES * (1 + iteration / 10)],
                                 faces_list=[FACES])
        timelapse.add_pointcloud_batch(iteration=iteration, category="fit", pointcloud_list=[VERTICES + iteration])
    return run_dir


def page_scene(page: str) -> dict:
    """The scene JSON embedded in a viewer page."""
    match = re.search(r'<script type="application/json" id="kp-scene">(.*?)</script>', page, re.S)
    assert match, "no scene in the page"
    return json.loads(match.group(1))


def _section(page: str, key: str) -> str:
    match = re.search(rf'<section id="{key}">(.*?)</section>', page, re.S)
    assert match, f"no section {key}"
    return match.group(1)


def _item(scene: dict, category: str, kind: str) -> dict:
    found = [item for item in scene["items"] if item["category"] == category and item["kind"] == kind]
    assert len(found) == 1, [(i["category"], i["kind"]) for i in scene["items"]]
    return found[0]


def test_run_page_is_self_contained(tmp_path):
    page = write_report(make_run(tmp_path / "run")).read_text(encoding="utf-8")
    without_data = DATA_URI.sub("", page)
    # offline: no URL scheme a browser would fetch, no external script, style sheet or font
    assert not re.search(r"\b(src|href)\s*=\s*[\"']?(https?:|//|file:)", without_data, re.I)
    assert "<link" not in page and not re.search(r"<script[^>]+src", page)
    assert not re.search(r"\bimport\s*\(|^\s*import\s|fetch\(['\"]http", without_data, re.M)
    assert "window.THREE=" in page and "THREE.OrbitControls = OrbitControls" in page


def test_run_page_holds_every_iteration_to_the_quantisation_step(tmp_path):
    page = write_report(make_run(tmp_path / "run")).read_text(encoding="utf-8")
    scene = page_scene(page)
    mesh = _item(scene, "fit", "mesh")
    assert mesh["iterations"] == ITERATIONS and mesh["role"] == "prediction"
    np.testing.assert_array_equal(decode(mesh["faces"]), FACES.numpy())  # fixed topology stored once
    assert all("faces" not in frame for frame in mesh["frames"])
    for iteration, frame in zip(ITERATIONS, mesh["frames"]):
        expected = VERTICES.double().numpy() * (1 + iteration / 10)
        step = quantization_step(frame["positions"])
        assert np.all(np.abs(decode(frame["positions"]) - expected) <= step / 2 + 1e-12)
    cloud = _item(scene, "fit", "pointcloud")
    assert cloud["iterations"] == ITERATIONS
    np.testing.assert_allclose(decode(cloud["frames"][1]["positions"]), VERTICES.double().numpy() + 10, atol=1e-6)
    # framing follows the last iteration: tetrahedron * 3 has its box centre at 1.5 and radius 1.5 * sqrt(3)
    assert mesh["center"] == pytest.approx([1.5, 1.5, 1.5]) and mesh["radius"] == pytest.approx(1.5 * math.sqrt(3))


def test_run_page_has_target_and_final_mesh(tmp_path):
    scene = page_scene(write_report(make_run(tmp_path / "run")).read_text(encoding="utf-8"))
    target = _item(scene, "target", "mesh")
    assert target["role"] == "target" and target["path"] == "synthetic:sphere"
    positions = decode(target["frames"][0]["positions"])
    # in its own units, where fit exports its meshes: the generator's sphere as it is, not rescaled
    from kaolin_pipeline.datasets.synthetic import make_shape

    own = make_shape("sphere", torch.Generator().manual_seed(0)).vertices.double().numpy()
    step = np.linalg.norm(quantization_step(target["frames"][0]["positions"]))
    assert np.abs(positions - own).max() <= step + 1e-6
    assert target["frames"][0]["texture"] == 0 and scene["textures"][0].startswith("data:image/png;base64,")
    final = _item(scene, "final", "mesh")
    np.testing.assert_allclose(decode(final["frames"][0]["positions"]), VERTICES.numpy(), atol=1e-6)


def test_curves_metrics_and_views(tmp_path):
    page = write_report(make_run(tmp_path / "run")).read_text(encoding="utf-8")
    curves = page_scene(page)["curves"]
    assert curves == {"steps": [0.0, 10.0, 20.0], "columns": {"loss": [1.0, 0.1, 0.01], "iou": [0.1, None, 0.9]}}
    metrics = _section(page, "metrics")
    for text in ("chamfer", "0.012", "psnr_foreground", "28.12<", "folded_faces", ">3<"):
        assert text in metrics, text
    views = [m for m in DATA_URI.finditer(_section(page, "views"))]
    for index, match in enumerate(views):  # order: target_0, pred_0, target_1, pred_1
        image = Image.open(io.BytesIO(base64.b64decode(match.group(2))))
        np.testing.assert_array_equal(np.asarray(image.convert("RGB")), _view_image(index))
    assert len(views) == 4


def test_max_timelapse_frames_keeps_first_and_last(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    timelapse = Timelapse(run / "timelapse")
    for iteration in range(7):
        timelapse.add_mesh_batch(iteration=iteration, category="", vertices_list=[VERTICES], faces_list=[FACES])
    scene = page_scene(write_report(run, max_timelapse_frames=3).read_text())
    assert scene["items"][0]["iterations"] == [0, 3, 6] and len(scene["items"][0]["frames"]) == 3


def test_empty_run_gives_notes(tmp_path):
    page = write_report(tmp_path).read_text()
    notes = _section(page, "notes")
    for words in ("No metrics.csv", "No timelapse/"):
        assert words in notes
    assert "No metrics.json" in _section(page, "metrics") and "No views/" in _section(page, "views")
    assert page_scene(page)["items"] == []


def test_unreadable_inputs_become_notes_naming_the_file(tmp_path):
    run = make_run(tmp_path / "run")
    (run / "metrics.csv").write_text("step,loss\n0,1.0\n1,abc\n")
    (run / "metrics.json").write_text("{oops")
    (run / "views" / "pred_1.png").write_bytes(b"not a png")
    (run / "views" / "target_1.png").unlink()
    (run / "final" / "mesh.obj").write_text("v 0 0 0\nf 1 2 3\n")
    (run / "config.yaml").write_text(yaml.safe_dump({"target": str(tmp_path / "gone.obj")}))
    page = write_report(run).read_text()
    notes = _section(page, "notes")
    assert re.search(r"metrics\.csv: line 3, column &#x27;loss&#x27;: &#x27;abc&#x27; is not a number", notes)
    assert "Final mesh left out" in notes and "mesh.obj" in notes
    assert "Target left out" in notes and "gone.obj" in notes
    assert "metrics.json: not valid JSON" in _section(page, "metrics")
    views = _section(page, "views")
    assert "pred_1.png: not a readable image" in views and "no target_1.png" in views
    assert len(DATA_URI.findall(views)) == 2
    assert {item["category"] for item in page_scene(page)["items"]} == {"fit"}  # the log is still there


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


def test_write_report_arguments(tmp_path):
    with pytest.raises(LoadError, match="missing"):
        write_report(tmp_path / "missing")
    with pytest.raises(ConfigError, match="max_timelapse_frames"):
        write_report(tmp_path, max_timelapse_frames=0)
    assert page_scene(write_report(tmp_path, timelapse_azimuth=80.0).read_text())["camera"] == {"azimuth": 80.0}

