"""The viewer in a real browser: headless Chromium with software WebGL (SwiftShader), pictures judged in Python.

Each page is opened from ``file://`` with a URL fragment; the canvas is read back as a screenshot.
Checks: the object is drawn, a different ``iteration=`` or ``azimuth=`` gives a different picture,
the page decodes the logged vertices to the quantisation step, point clouds, voxel grids, a
Kaolin-style hand-made log, the dataset grid and the Jupyter output all show something, and
nothing is logged on the console or fetched from outside the page.
"""
from __future__ import annotations

import json
import math

import nbformat
import numpy as np
import pytest
import torch

from chromium_devtools import CHROMIUM, NO_CHROMIUM, DevTools, open_viewer
from kaolin_pipeline.datasets.synthetic import make_shape
from kaolin_pipeline.export.timelapse import Timelapse
from kaolin_pipeline.ops.conversions import mesh_to_voxelgrid
from kaolin_pipeline.visualize.encode import decode, quantization_step
from kaolin_pipeline.visualize.view import write_view
from test_report import page_scene
from test_report_browser import object_fraction
from test_view import HAND_TIMES, hand_made_log

pytestmark = [pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM), pytest.mark.slow]
ITERATIONS = [0, 10, 20]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    devtools = DevTools(tmp_path_factory.mktemp("chromium-profile"), webgl=True)
    yield devtools
    devtools.close()


@pytest.fixture(scope="module")
def log_page(tmp_path_factory):
    """A Timelapse log of a textured torus growing and turning its texture, its point cloud and voxels."""
    folder = tmp_path_factory.mktemp("log")
    torus = make_shape("torus", torch.Generator().manual_seed(0))
    timelapse = Timelapse(folder / "timelapse")
    for iteration in ITERATIONS:
        scale = 0.4 + iteration / 20
        timelapse.add_mesh_batch(iteration=iteration, category="fit", vertices_list=[torus.vertices * scale],
                                 faces_list=[torus.faces], uvs_list=[torus.uvs], face_uvs_idx_list=[torus.face_uvs_idx],
                                 materials_list=[torus.texture.roll(iteration, 2)])
        timelapse.add_pointcloud_batch(iteration=iteration, category="fit", pointcloud_list=[torus.vertices * scale],
                                       colors=[torus.vertex_colors])
        timelapse.add_voxelgrid_batch(iteration=iteration, category="fit", voxelgrid_list=[
            mesh_to_voxelgrid(torus.vertices * scale, torus.faces, 12, mode="surface")])
    page = write_view(folder / "timelapse", out=folder / "view.html", progress=False)
    return page, torus


def _canvas(browser, page, fragment: str) -> np.ndarray:
    session = open_viewer(browser, page.resolve().as_uri() + fragment)
    return browser.screenshot(session, "#kp-canvas")


def _changed(a: np.ndarray, b: np.ndarray) -> float:
    return float((np.abs(a.astype(int) - b.astype(int)).sum(-1) > 24).mean())


def test_log_shows_mesh_and_follows_the_fragment(browser, log_page):
    page, _ = log_page
    browser.events.clear()
    last = _canvas(browser, page, "#category=fit&kind=mesh&id=0&azimuth=30")
    assert object_fraction(last) > 0.05
    first = _canvas(browser, page, "#category=fit&kind=mesh&id=0&iteration=0&azimuth=30")
    assert 0.01 < object_fraction(first) < object_fraction(last)  # the torus grew from 0.4x to 1.4x...
    # ... and the framing follows the last iteration, so iteration 0 is drawn smaller
    assert _changed(first, last) > 0.05
    turned = _canvas(browser, page, "#category=fit&kind=mesh&id=0&azimuth=120&elevation=60")
    assert _changed(turned, last) > 0.02
    assert browser.errors() == []
    assert all(url.startswith(("file:", "data:", "blob:")) for url in browser.requested_urls())


def test_fragment_state_is_restored_and_written_back(browser, log_page):
    page, _ = log_page
    session = open_viewer(browser, page.resolve().as_uri() +
                          "#category=fit&kind=pointcloud&id=0&iteration=10&azimuth=45&elevation=20&distance=4&wireframe=1")
    state = browser.evaluate(session, "window.kpViewer.state()")
    scene_items = page_scene(page.read_text())["items"]
    assert scene_items[state["item"]]["kind"] == "pointcloud" and state["frame"] == 1
    assert (state["azimuth"], state["elevation"], state["distance"], state["wireframe"]) == (45, 20, 4, True)
    browser.evaluate(session, "new Promise((r) => setTimeout(r, 400))")
    written = browser.evaluate(session, "location.hash")
    for part in ("kind=pointcloud", "iteration=10", "azimuth=45.0", "distance=4.000", "wireframe=1"):
        assert part in written, written


def test_page_decodes_logged_vertices_to_the_quantisation_step(browser, log_page):
    page, torus = log_page
    session = open_viewer(browser, page.resolve().as_uri())
    item = page_scene(page.read_text())["items"][0]
    assert item["kind"] == "mesh"
    for frame_index, iteration in enumerate(ITERATIONS):
        decoded = np.asarray(browser.evaluate(session, f"window.kpViewer.positions(0, {frame_index})")).reshape(-1, 3)
        expected = (torus.vertices * (0.4 + iteration / 20)).double().numpy()
        step = quantization_step(item["frames"][frame_index]["positions"])
        # float32 in the browser: half a step plus float32 rounding of values of magnitude < 2
        assert np.all(np.abs(decoded - expected) <= step / 2 + 2e-7), np.abs(decoded - expected).max()
        np.testing.assert_allclose(decoded, decode(item["frames"][frame_index]["positions"]), atol=2e-7)


@pytest.mark.parametrize("kind", ["pointcloud", "voxelgrid"])
def test_point_clouds_and_voxel_grids_are_drawn(browser, log_page, kind):
    page, _ = log_page
    pixels = _canvas(browser, page, f"#category=fit&kind={kind}&id=0")
    assert object_fraction(pixels) > 0.02


def test_texture_is_upright_and_vertex_colors_show(browser, tmp_path):
    """A quad facing +z with uv (0, 0) at its bottom-left and a texture red on its top rows (row 0 = top)."""
    from kaolin_pipeline.structures import Mesh, PBRMaterial
    from kaolin_pipeline.visualize.notebook import show

    vertices = torch.tensor([[-1.0, -1.0, 0.0], [1.0, -1.0, 0.0], [1.0, 1.0, 0.0], [-1.0, 1.0, 0.0]])
    faces = torch.tensor([[0, 1, 2], [0, 2, 3]])
    uvs = torch.tensor([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    texture = torch.zeros(3, 8, 8)
    texture[0, :4] = 1.0  # top half red
    texture[2, 4:] = 1.0  # bottom half blue
    colors = torch.tensor([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    # two materials: face 0 (below the diagonal (-1, -1)-(1, 1)) a green colour, face 1 (above it) a blue texture
    materials = [PBRMaterial(diffuse_color=torch.tensor([0.0, 0.8, 0.0])),
                 PBRMaterial(diffuse_texture=torch.tensor([0.0, 0.0, 1.0])[:, None, None].expand(3, 4, 4).clone())]
    page = tmp_path / "quad.html"
    show([Mesh(vertices, faces, uvs=uvs, face_uvs_idx=faces, texture=texture), Mesh(vertices, faces, vertex_colors=colors),
          Mesh(vertices, faces, uvs=uvs, face_uvs_idx=faces, materials=materials,
               material_assignments=torch.tensor([0, 1]))],
         names=["textured", "coloured", "materials"]).save(page)
    for category, top, bottom in [("textured", 0, 2), ("coloured", 1, 0), ("materials", 2, 1)]:
        pixels = _canvas(browser, page, f"#category={category}&azimuth=0&elevation=0&distance=2.5").astype(int)
        row, column = pixels.shape[0] // 2, pixels.shape[1] // 2
        upper, lower = pixels[row - 60, column - 30], pixels[row + 60, column + 30]
        assert upper.argmax() == top and lower.argmax() == bottom, (category, upper, lower)


def test_two_iterations_side_by_side(browser, log_page):
    page, _ = log_page
    pixels = _canvas(browser, page, "#category=fit&kind=mesh&id=0&compare=iteration&compare_iteration=0")
    half = pixels.shape[1] // 2
    left, right = object_fraction(pixels[:, :half]), object_fraction(pixels[:, half:])
    assert left > 0.05 and 0.005 < right < left  # iteration 20 on the left, the smaller iteration 0 on the right


def test_hand_made_time_sample_log_opens(browser, tmp_path):
    page = write_view(hand_made_log(tmp_path / "log"), out=tmp_path / "view.html", progress=False)
    browser.events.clear()
    first = _canvas(browser, page, f"#iteration={HAND_TIMES[0]}")
    last = _canvas(browser, page, f"#iteration={HAND_TIMES[-1]}")
    assert object_fraction(last) > 0.05 and _changed(first, last) > 0.02
    assert browser.errors() == []


def test_dataset_grid_opens_a_shape_in_3d(browser, tmp_path):
    page = write_view("synthetic:10", out=tmp_path / "dataset.html", cache_dir=tmp_path / "cache", progress=False)
    browser.events.clear()
    session = open_viewer(browser, page.resolve().as_uri() + "#dataset_category=cube")
    thumbnails = browser.evaluate(session, """(async () => {
      const images = Array.from(document.querySelectorAll('#kp-grid img'));
      await Promise.all(images.map((image) => image.decode().catch(() => null)));
      return images.map((image) => image.naturalWidth); })()""")
    assert thumbnails == [96, 96]  # cube is every 8th of the 8 families: shapes 1 and 9
    assert browser.evaluate(session, "document.getElementById('kp-viewer').hidden") is True
    box = browser.evaluate(session, """(() => { const r = document.querySelectorAll('#kp-grid figure')[1].getBoundingClientRect();
      return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()""")
    for kind in ("mousePressed", "mouseReleased"):
        browser.call("Input.dispatchMouseEvent", session, type=kind, x=box["x"], y=box["y"], button="left", clickCount=1)
    browser.evaluate(session, "window.kpViewer.settled()")
    assert browser.evaluate(session, "window.kpViewer.state().shape") == 9
    assert object_fraction(browser.screenshot(session, "#kp-canvas")) > 0.05
    assert "synthetic://cube/0/9" in browser.evaluate(session, "document.getElementById('kp-info').textContent")
    assert browser.errors() == []


def test_served_dataset_loads_shapes_on_demand(browser, tmp_path):
    import threading

    from kaolin_pipeline.visualize.serve import make_server

    page = write_view("synthetic:4", out=tmp_path / "dataset.html", cache_dir=tmp_path / "cache", inline_mb=0,
                      progress=False)
    assert 'id="kp-shape-' not in page.read_text()
    server = make_server(page, "synthetic:4")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        browser.events.clear()
        session = open_viewer(browser, f"http://127.0.0.1:{server.server_address[1]}/#dataset_category=torus&shape=2")
        assert browser.evaluate(session, "window.kpViewer.state().shape") == 2
        assert object_fraction(browser.screenshot(session, "#kp-canvas")) > 0.05
        assert any(url.endswith("/shape/2") for url in browser.requested_urls())
        assert browser.errors() == []
    finally:
        server.shutdown()
        server.server_close()


def test_jupyter_output_renders_the_viewer(browser, tmp_path):
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import torch\nfrom kaolin_pipeline.datasets.synthetic import make_shape\n"
        "from kaolin_pipeline.visualize import show\n"
        "show(make_shape('blob', torch.Generator().manual_seed(0)), height=520)")])
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    (output,) = notebook.cells[0].outputs
    assert output["output_type"] == "execute_result" and "<iframe srcdoc=" in output["data"]["text/html"]
    host = tmp_path / "notebook-output.html"  # what a front end does with the output: put it in its page
    host.write_text(f"<!DOCTYPE html><html><body style='margin:0'>{output['data']['text/html']}</body></html>")
    browser.events.clear()
    session = browser.open_page("about:blank")
    browser.call("Emulation.setDeviceMetricsOverride", session, width=1000, height=900, deviceScaleFactor=1, mobile=False)
    browser.events.clear()
    browser.call("Page.navigate", session, url=host.resolve().as_uri())
    browser.wait_for("Page.loadEventFired", session)
    browser.evaluate(session, "new Promise((r) => setTimeout(r, 1500))")  # the frame's script runs on its own
    pixels = browser.screenshot(session, "iframe")
    stage = pixels[150:450]  # below the frame's header and controls, inside its 3D stage
    assert object_fraction(stage) > 0.03, object_fraction(stage)
    assert browser.errors() == [], json.dumps(browser.errors())


def test_run_page_screenshot(browser, tmp_path):
    """A fit-like run (prediction morphing into the target blob) shown beside its target, with curves.

    Writes the README's picture when ``KAOLIN_PIPELINE_SCREENSHOT`` names a PNG path
    (``KAOLIN_PIPELINE_SCREENSHOT=docs/viewer.png pytest tests/test_view_browser.py -k screenshot``).
    """
    import os

    import yaml
    from PIL import Image

    from kaolin_pipeline.visualize.report import write_report
    from kaolin_pipeline.train.fit import load_target_mesh

    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text(yaml.safe_dump({"target": "synthetic:superquadric", "seed": 0,
                                                     "views": {"target_scale": 0.7}}))
    target = load_target_mesh("synthetic:superquadric", 0.7)
    sphere = target.vertices / target.vertices.norm(dim=1, keepdim=True) * 0.6
    steps = list(range(0, 301, 20))
    timelapse = Timelapse(run / "timelapse")
    for step in steps:
        t = step / steps[-1]
        timelapse.add_mesh_batch(iteration=step, category="fit", vertices_list=[sphere + (target.vertices - sphere) * t],
                                 faces_list=[target.faces], uvs_list=[target.uvs],
                                 face_uvs_idx_list=[target.face_uvs_idx],
                                 materials_list=[0.5 + (target.texture - 0.5) * t])
    (run / "metrics.csv").write_text("step,loss,mask_iou\n" + "".join(
        f"{s},{0.5 * math.exp(-s / 60) + 0.01:.5f},{0.95 - 0.5 * math.exp(-s / 50):.5f}\n" for s in steps))
    (run / "metrics.json").write_text(json.dumps({"mask_iou": 0.9488, "chamfer": 0.0041, "psnr_foreground": 27.31}))
    page = write_report(run)
    session = open_viewer(browser, page.resolve().as_uri() + "#category=fit&kind=mesh&id=0&iteration=120&compare=target"
                                                              "&azimuth=35&elevation=25&distance=3.3", width=980, height=1000)
    stage = browser.screenshot(session, "#kp-canvas")
    half = stage.shape[1] // 2
    assert object_fraction(stage[:, :half]) > 0.05 and object_fraction(stage[:, half:]) > 0.05  # prediction, target
    assert browser.errors() == []
    pixels = browser.screenshot(session, "body")
    destination = os.environ.get("KAOLIN_PIPELINE_SCREENSHOT") or str(tmp_path / "viewer.png")
    Image.fromarray(pixels[:900]).quantize(colors=128).save(destination, optimize=True)
