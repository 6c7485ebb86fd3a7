"""The viewer's Python side: encodings, scenes from logs / files / datasets, `view` dispatch, serving, notebooks."""
from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import threading
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import torch
from pxr import Gf, Usd, UsdGeom, Vt

from kaolin_pipeline.cli import main
from kaolin_pipeline.errors import ConfigError, LoadError
from kaolin_pipeline.export.timelapse import Timelapse
from kaolin_pipeline.io import save_pointcloud
from kaolin_pipeline.structures import Mesh, PBRMaterial, PointCloud, VoxelGrid
from kaolin_pipeline import visualize
from kaolin_pipeline.datasets import SyntheticShapes
from kaolin_pipeline.visualize import dataset as dataset_module
from kaolin_pipeline.visualize.encode import decode, pack_colors, pack_indices, quantization_step, quantize
from kaolin_pipeline.visualize.notebook import show
from kaolin_pipeline.visualize.page import three_script
from kaolin_pipeline.visualize.scene import TexturePool, make_item, scene_of_shapes
from kaolin_pipeline.visualize.serve import make_server
from kaolin_pipeline.visualize.sources import scene_of_timelapse
from kaolin_pipeline.visualize import view as view_module
from kaolin_pipeline.visualize.view import classify, write_view
from test_report import FACES, VERTICES, make_run, page_scene

HAND_TIMES = [0, 5, 10]


def hand_made_log(log_dir):
    """A Kaolin-layout log written with plain pxr time samples (no value clips): how Kaolin's Timelapse stores it."""
    path = log_dir / "hand" / "mesh_0.usd"
    path.parent.mkdir(parents=True)
    stage = Usd.Stage.CreateNew(str(path))
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.y)
    mesh = UsdGeom.Mesh.Define(stage, "/mesh_0")
    stage.SetDefaultPrim(mesh.GetPrim())
    mesh.GetFaceVertexCountsAttr().Set(Vt.IntArray([3] * len(FACES)))
    mesh.GetFaceVertexIndicesAttr().Set(Vt.IntArray(FACES.flatten().tolist()))
    for time in HAND_TIMES:
        points = (VERTICES * (1 + time)).tolist()
        mesh.GetPointsAttr().Set(Vt.Vec3fArray([Gf.Vec3f(*p) for p in points]), time)
    stage.SetStartTimeCode(HAND_TIMES[0])
    stage.SetEndTimeCode(HAND_TIMES[-1])
    stage.GetRootLayer().Save()
    for kind, prototype in (("pointcloud", UsdGeom.Sphere), ("voxelgrid", UsdGeom.Cube)):  # PointInstancers
        stage = Usd.Stage.CreateNew(str(log_dir / "hand" / f"{kind}_0.usd"))
        instancer = UsdGeom.PointInstancer.Define(stage, f"/{kind}_0")
        stage.SetDefaultPrim(instancer.GetPrim())
        instancer.GetPrototypesRel().AddTarget(prototype.Define(stage, f"/{kind}_0/prototypes/shape").GetPath())
        for time in HAND_TIMES:
            positions = hand_positions(kind, time)
            instancer.GetPositionsAttr().Set(Vt.Vec3fArray([Gf.Vec3f(*p) for p in positions.tolist()]), time)
            instancer.GetProtoIndicesAttr().Set(Vt.IntArray([0] * len(positions)), time)
        stage.GetRootLayer().Save()
    return log_dir


def hand_positions(kind: str, time: int) -> np.ndarray:
    """Instancer positions of the hand-made log: 10 points on a line, or a 2 x (2 + time) slab of voxel indices."""
    if kind == "pointcloud":
        return np.stack([np.arange(10) * 0.1 * (1 + time), np.zeros(10), np.zeros(10)], 1)
    return np.array([[i, j, 0] for i in range(2) for j in range(2 + time)], dtype=float)


# ---------------------------------------------------------------------- encodings


def test_quantize_round_trip_is_within_half_a_step():
    rng = np.random.default_rng(0)
    values = np.stack([rng.normal(0, 50, 1000), np.full(1000, 3.25), rng.uniform(-1e-3, 1e-3, 1000)], 1)
    encoded = quantize(values)
    assert encoded["dtype"] == "u16" and encoded["shape"] == [1000, 3]
    step = quantization_step(encoded)
    np.testing.assert_array_equal(step[1], 0.0)  # a constant column decodes exactly
    error = np.abs(decode(encoded) - values)
    assert np.all(error <= step / 2 + 1e-15)
    np.testing.assert_array_equal(decode(encoded).min(0), values.min(0))  # bounds are exact
    np.testing.assert_array_equal(decode(encoded).max(0), values.max(0))
    assert len(encoded["data"]) == (1000 * 3 * 2 + 2) // 3 * 4  # two bytes a value, base64
    with pytest.raises(ConfigError, match="vertices: NaN"):
        quantize(np.array([[0.0, np.nan, 1.0]]), "vertices")


def test_indices_and_colors_are_exact():
    small = np.array([[0, 1, 65535]])
    assert pack_indices(small)["dtype"] == "u16"
    np.testing.assert_array_equal(decode(pack_indices(small)), small)
    large = np.array([[0, 70000, 2]])
    assert pack_indices(large)["dtype"] == "u32"
    np.testing.assert_array_equal(decode(pack_indices(large)), large)
    with pytest.raises(ConfigError, match="faces: indices"):
        pack_indices(np.array([[-1, 0, 1]]), "faces")
    colors = np.array([[0.0, 0.5, 1.0], [2.0, -1.0, 0.2]])
    np.testing.assert_array_equal(decode(pack_colors(colors)), [[0, 128, 255], [255, 0, 51]])


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_three_script_defines_three_and_orbit_controls(tmp_path):
    script = tmp_path / "three.js"
    script.write_text("globalThis.window = globalThis;\n" + three_script() + "\nconsole.log(JSON.stringify("
                      "[THREE.REVISION, typeof THREE.WebGLRenderer, typeof THREE.OrbitControls, "
                      "typeof THREE.InstancedMesh, Object.keys(THREE).length]));")
    out = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    revision, renderer, controls, instanced, count = json.loads(out.stdout)
    assert (revision, renderer, controls, instanced) == ("170", "function", "function", "function")
    vendored = (Path(visualize.__file__).parent / "vendor" / "three.module.min.js").read_text()
    exported = re.search(r"export\{([^}]*)\}", vendored).group(1).count(",") + 1
    assert count == exported + 1  # every export of the module build, and OrbitControls


# ---------------------------------------------------------------------- scenes


def test_scene_of_shapes_covers_every_kind():
    occupancy = torch.zeros(4, 4, 4, dtype=torch.bool)
    occupancy[1, 2, 3] = occupancy[0, 0, 0] = True
    grid = VoxelGrid(occupancy, origin=torch.tensor([-1.0, 0.0, 2.0]), size=2.0)
    colors = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
    scene = scene_of_shapes([Mesh(VERTICES, FACES, vertex_colors=colors), PointCloud(VERTICES, colors=colors), grid],
                            names=["m", "p", "v"])
    mesh, cloud, voxels = scene["items"]
    assert [item["kind"] for item in scene["items"]] == ["mesh", "pointcloud", "voxelgrid"]
    assert [item["category"] for item in scene["items"]] == ["m", "p", "v"]
    np.testing.assert_array_equal(decode(mesh["frames"][0]["colors"]), colors.numpy() * 255)
    assert mesh["stats"]["faces"] == 4 and cloud["stats"]["points"] == 4 and voxels["stats"]["occupied"] == 2
    frame = voxels["frames"][0]
    np.testing.assert_array_equal(decode(frame["indices"]), [[0, 0, 0], [1, 2, 3]])
    assert frame["origin"] == [-1.0, 0.0, 2.0] and frame["voxel_size"] == 0.5
    # voxel box: corners -1 + 0 * 0.5 .. -1 + 2 * 0.5 (x), 0 .. 1.5 (y), 2 .. 4 (z)
    assert voxels["center"] == pytest.approx([-0.5, 0.75, 3.0])


def test_textures_are_shared_and_topology_changes_are_kept():
    texture = torch.rand(3, 8, 8, generator=torch.Generator().manual_seed(0))
    uvs = torch.rand(4, 2)
    meshes = [Mesh(VERTICES * s, FACES, uvs=uvs, face_uvs_idx=FACES, texture=texture) for s in (1, 2)]
    pool = TexturePool()
    item = make_item(meshes, [0, 1], pool)
    assert len(pool.uris) == 1 and [f["texture"] for f in item["frames"]] == [0, 0]
    assert "faces" in item and "uvs" in item and "face_uvs" in item
    changed = make_item([Mesh(VERTICES, FACES), Mesh(VERTICES, FACES[:2])], [0, 1], TexturePool())
    assert "faces" not in changed
    np.testing.assert_array_equal(decode(changed["frames"][1]["faces"]), FACES[:2].numpy())
    materials = [PBRMaterial(diffuse_color=torch.tensor([0.2, 0.4, 0.6])), PBRMaterial(diffuse_texture=texture),
                 PBRMaterial()]
    several = make_item([Mesh(VERTICES, FACES, uvs=uvs, face_uvs_idx=FACES, materials=materials,
                              material_assignments=torch.tensor([1, -1, 0, 2]))], [0], pool)
    assert several["frames"][0]["materials"] == [{"color": pytest.approx([0.2, 0.4, 0.6])}, {"texture": 0}, {}]
    np.testing.assert_array_equal(decode(several["material_assignments"]), [[2], [0], [1], [3]])  # index + 1
    with pytest.raises(ConfigError, match="one kind"):
        make_item([Mesh(VERTICES, FACES), PointCloud(VERTICES)], [0, 1], TexturePool())


def test_hand_made_time_samples_and_timelapse_logs_read_alike(tmp_path):
    scene = scene_of_timelapse(hand_made_log(tmp_path / "kaolin"), progress=False)
    item, cloud, grid = scene["items"]
    assert (item["category"], item["kind"], item["id"], item["iterations"]) == ("hand", "mesh", 0, HAND_TIMES)
    assert (cloud["kind"], cloud["iterations"], grid["kind"], grid["iterations"]) == (
        "pointcloud", HAND_TIMES, "voxelgrid", HAND_TIMES)
    for time, frame in zip(HAND_TIMES, cloud["frames"]):
        expected = hand_positions("pointcloud", time)
        assert np.all(np.abs(decode(frame["positions"]) - expected) <= quantization_step(frame["positions"]) / 2 + 1e-6)
    assert [frame["indices"]["shape"][0] for frame in grid["frames"]] == [2 * (2 + t) for t in HAND_TIMES]
    for time, frame in zip(HAND_TIMES, item["frames"]):
        step = quantization_step(frame["positions"])
        assert np.all(np.abs(decode(frame["positions"]) - VERTICES.numpy() * (1 + time)) <= step / 2 + 1e-6)
    ours = Timelapse(tmp_path / "ours")
    for time in HAND_TIMES:
        ours.add_mesh_batch(iteration=time, category="hand", vertices_list=[VERTICES * (1 + time)], faces_list=[FACES])
    (mine,) = scene_of_timelapse(tmp_path / "ours", progress=False)["items"]
    assert [f["positions"] for f in mine["frames"]] == [f["positions"] for f in item["frames"]]
    with pytest.raises(LoadError, match="no <category>/mesh_<i>.usd"):
        scene_of_timelapse(tmp_path / "ours" / "hand" / "clips", progress=False)


# ---------------------------------------------------------------------- view PATH


def test_classify_paths(tmp_path):
    run = make_run(tmp_path / "run")
    hand_made_log(tmp_path / "log")
    (tmp_path / "meshes" / "chairs").mkdir(parents=True)
    assert classify(str(run)) == "run" and classify(str(tmp_path / "log")) == "timelapse"
    assert classify(str(tmp_path / "meshes")) == "dataset" and classify("synthetic:4") == "dataset"
    assert classify(str(run / "final" / "mesh.obj")) == "file"
    with pytest.raises(LoadError, match="nowhere: no such file or folder"):
        classify(str(tmp_path / "nowhere"))


def test_view_cli_on_files_and_errors(tmp_path, capsys, monkeypatch):
    cloud = tmp_path / "cloud.ply"
    save_pointcloud(cloud, PointCloud(VERTICES))
    out = tmp_path / "page.html"
    assert main(["view", str(cloud), "--no-browser", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    (item,) = page_scene(out.read_text())["items"]
    assert item["kind"] == "pointcloud"  # a face-less .ply falls back to the point-cloud reader
    np.testing.assert_allclose(decode(item["frames"][0]["positions"]), VERTICES.numpy(), atol=1e-6)
    opened = []
    monkeypatch.setattr(view_module.webbrowser, "open", opened.append)
    assert main(["view", str(cloud), "--out", str(out)]) == 0
    assert opened == [out.resolve().as_uri()]
    capsys.readouterr()
    (tmp_path / "notes.txt").write_text("hello")
    for path, words in [(tmp_path / "notes.txt", "cannot view a .txt file"), (tmp_path / "gone", "no such file")]:
        assert main(["view", str(path), "--no-browser"]) == 2
        error = capsys.readouterr().err
        assert words in error and str(path) in error and error.count("\n") == 1
    assert main(["view", "synthetic:x", "--no-browser"]) == 2
    assert "synthetic:N" in capsys.readouterr().err


def test_dataset_thumbnails_are_cached_and_inlining_has_a_budget(tmp_path):
    calls = []

    def thumbnailer(mesh):
        calls.append(mesh.num_faces)
        return dataset_module.render_thumbnail(mesh, size=16)

    scene, parts = dataset_module.scene_of_dataset("synthetic:5", tmp_path / "cache", progress=False,
                                                   thumbnailer=thumbnailer)
    assert len(calls) == 5
    data = scene["dataset"]
    assert sorted(i for c in data["categories"] for i in c["shapes"]) == list(range(5))
    assert [s["inline"] for s in data["shapes"]] == [True] * 5 and sorted(parts) == list(range(5))
    assert data["shapes"][1]["path"] == "synthetic://cube/0/1" and scene["items"] == []
    expected = SyntheticShapes(5)[1]["vertices"].double().numpy()
    positions = parts[1]["item"]["frames"][0]["positions"]
    assert np.all(np.abs(decode(positions) - expected) <= quantization_step(positions) / 2 + 1e-6)
    again, no_parts = dataset_module.scene_of_dataset("synthetic:5", tmp_path / "cache", inline_mb=0, progress=False,
                                                      thumbnailer=thumbnailer)
    assert len(calls) == 5  # every thumbnail came from the cache
    assert again["dataset"]["thumbnails"] == data["thumbnails"] and no_parts == {}
    assert [s["inline"] for s in again["dataset"]["shapes"]] == [False] * 5
    assert again["dataset"]["shapes"][2]["stats"]["faces"] == data["shapes"][2]["stats"]["faces"]
    one_part = len(json.dumps(parts[0])) / 2 ** 20
    _, some = dataset_module.scene_of_dataset("synthetic:5", tmp_path / "cache", inline_mb=2.5 * one_part,
                                              progress=False, thumbnailer=thumbnailer)
    assert 1 <= len(some) <= 3 and sorted(some) == list(range(len(some)))  # the budget inlines shapes in order
    page = write_view("synthetic:5", out=tmp_path / "page.html", cache_dir=tmp_path / "cache", progress=False)
    blocks = re.findall(r'<script type="application/json" id="kp-shape-([0-9]+)">', page.read_text())
    assert blocks == ["0", "1", "2", "3", "4"]


def test_serve_answers_page_and_shapes(tmp_path):
    page = write_view("synthetic:3", out=tmp_path / "page.html", cache_dir=tmp_path / "cache", inline_mb=0,
                      progress=False)
    server = make_server(page, "synthetic:3")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        assert urllib.request.urlopen(base).read() == page.read_bytes()
        part = json.loads(urllib.request.urlopen(base + "shape/2").read())
        expected = SyntheticShapes(3)[2]["vertices"].double().numpy()
        positions = part["item"]["frames"][0]["positions"]
        assert np.all(np.abs(decode(positions) - expected) <= quantization_step(positions) / 2 + 1e-6)
        assert part["item"]["frames"][0]["texture"] == 0 and len(part["textures"]) == 1
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(base + "shape/3")
    finally:
        server.shutdown()
        server.server_close()


def test_show_wraps_the_page_in_an_iframe_srcdoc(tmp_path):
    viewer = show(Mesh(VERTICES, FACES))
    match = re.fullmatch(r'<iframe srcdoc="([^"]*)" style="[^"]*" sandbox="allow-scripts" loading="eager"></iframe>',
                         viewer._repr_html_())
    assert match and html.unescape(match.group(1)) == viewer.html
    assert page_scene(viewer.html)["items"][0]["kind"] == "mesh"
    named = show([Mesh(VERTICES, FACES), PointCloud(VERTICES)], names=["a", "b"])
    assert [i["category"] for i in page_scene(named.html)["items"]] == ["a", "b"]
    assert page_scene(show(str(hand_made_log(tmp_path / "log"))).html)["items"][0]["iterations"] == HAND_TIMES
    for bad in ([], [1, 2], 3.0):
        with pytest.raises(ConfigError, match="show"):
            show(bad)
