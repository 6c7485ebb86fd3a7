"""The Data Generator: camera rigs, sources, resumable runs, a bad mesh skipped, `kaolin-pipeline render`."""
import json
import math
from pathlib import Path
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from kaolin_pipeline import datagen
from kaolin_pipeline.cli import main
from kaolin_pipeline.datagen import (
    MANIFEST, generate_views, normalize_for_views, rig_cameras, shape_entries,
)
from kaolin_pipeline.datasets.synthetic import make_shape
from kaolin_pipeline.errors import ConfigError, LoadError
from kaolin_pipeline.io import save_mesh
from kaolin_pipeline.io.render import import_synthetic_view, view_indices
from kaolin_pipeline.train.views import load_view_folder

FAST = dict(num_views=3, image_size=24, supersample=2, progress=False)


def _elevations(cameras):
    position = cameras.translation.double()
    return torch.rad2deg(torch.asin(position[:, 1] / position.norm(dim=1)))


@pytest.mark.parametrize("rig", ["sphere", "hemisphere", "turntable"])
def test_rig_cameras_look_at_the_origin_from_the_set_distance(rig):
    cameras = rig_cameras(rig, 64, seed=3, distance=2.5)
    assert torch.allclose(cameras.translation.norm(dim=1), torch.full((64,), 2.5), atol=1e-5)
    # The backward axis (row 2 of the rotation) points from the origin to the camera.
    assert torch.allclose(cameras.rotation[:, 2], cameras.translation / 2.5, atol=1e-5)
    elevation = _elevations(cameras)
    if rig == "hemisphere":
        assert bool((elevation >= -1e-4).all())
    if rig == "sphere":
        assert bool((elevation < -10).any()) and bool((elevation > 10).any())
    if rig == "turntable":
        assert torch.allclose(elevation, torch.full((64,), 30.0, dtype=torch.float64), atol=1e-4)
        azimuth = torch.rad2deg(torch.atan2(cameras.translation[:, 0], cameras.translation[:, 2])) % 360
        assert torch.allclose(azimuth.double(), torch.arange(64, dtype=torch.float64) * 360 / 64, atol=1e-3)


def test_random_rigs_are_seeded():
    first, again, other = (rig_cameras("sphere", 8, seed=s).translation for s in (1, 1, 2))
    assert torch.equal(first, again) and not torch.allclose(first, other)


def test_sphere_rig_spreads_cameras_evenly_over_heights():
    # Uniform on the sphere means the height y / r is uniform in [-1, 1] (Archimedes): mean 0, variance 1/3.
    heights = rig_cameras("sphere", 4000, seed=0).translation[:, 1].double() / 3.0
    assert abs(heights.mean().item()) < 0.03 and abs(heights.var().item() - 1 / 3) < 0.02


def test_normalize_for_views_records_the_map_from_file_coordinates():
    mesh = make_shape("cone", torch.Generator().manual_seed(0))
    mesh = type(mesh)(**{**mesh.__dict__, "vertices": mesh.vertices * 7.0 + torch.tensor([1.0, -2.0, 30.0])})
    scene, matrix = normalize_for_views(mesh, radius=0.7)
    assert scene.vertices.norm(dim=1).max().item() == pytest.approx(0.7, rel=1e-5)
    padded = torch.cat([mesh.vertices.double(), torch.ones(len(mesh.vertices), 1, dtype=torch.float64)], 1)
    assert torch.allclose((padded @ matrix)[:, :3].float(), scene.vertices, atol=1e-5)


def test_a_mesh_file_is_rendered_straight_into_out(tmp_path):
    path = tmp_path / "cube.obj"
    save_mesh(path, make_shape("cube", torch.Generator().manual_seed(0)))
    report = generate_views(str(path), tmp_path / "views", **FAST)
    assert report == {"rendered": [""], "skipped": [], "failed": []}
    assert view_indices(tmp_path / "views") == [0, 1, 2]
    view = import_synthetic_view(tmp_path / "views", 2, semantic=True, depth_linear=True)
    assert view["rgb"].shape == (24, 24, 3) and view["semantic"].shape == (24, 24, 1)
    visible = view["semantic"][..., 0] > 0
    # The shape fits in a ball of radius 0.7 around the origin, seen from distance 3.
    assert bool((view["depth_linear"][visible] > 3 - 0.7 - 1e-4).all())
    assert bool((view["depth_linear"][visible] < 3 + 0.7 + 1e-4).all())
    assert bool((view["depth_linear"][~visible] == 0).all())
    assert view["metadata"]["asset_transforms"].shape == (4, 4)
    manifest = json.loads((tmp_path / "views" / MANIFEST).read_text())
    assert manifest["settings"]["views"] == 3 and manifest["shape"] == "cube.obj"


def _mesh_folder(tmp_path):
    root = tmp_path / "meshes"
    save_mesh(root / "round" / "ball.obj", make_shape("sphere", torch.Generator().manual_seed(1)))
    save_mesh(root / "ring.ply", make_shape("torus", torch.Generator().manual_seed(2)))
    (root / "round" / "broken.obj").write_text("v 0 0 0\nv 1 0 0\nf 1 2 9\n")  # face names a missing vertex
    return root


def test_folder_run_skips_a_bad_mesh_with_a_report_and_resumes(tmp_path, capsys):
    root, out = _mesh_folder(tmp_path), tmp_path / "out"
    report = generate_views(str(root), out, **FAST)
    assert sorted(report["rendered"]) == ["ring", "round/ball"]
    assert [name for name, _ in report["failed"]] == ["round/broken"]
    assert "broken.obj" in report["failed"][0][1]
    assert "skipping round/broken" in capsys.readouterr().out
    assert not (out / "round" / "broken").exists() or not (out / "round" / "broken" / MANIFEST).exists()
    assert load_view_folder(out / "round" / "ball").images.shape == (3, 24, 24, 3)

    stamps = {p: p.stat().st_mtime_ns for p in (out / "ring").iterdir()}
    again = generate_views(str(root), out, **FAST)
    assert sorted(again["skipped"]) == ["ring", "round/ball"] and again["rendered"] == []
    assert {p: p.stat().st_mtime_ns for p in (out / "ring").iterdir()} == stamps


def test_an_unfinished_shape_folder_is_rendered_again(tmp_path, monkeypatch):
    root, out = _mesh_folder(tmp_path), tmp_path / "out"
    real_export = datagen.export_synthetic_view

    def export_then_die(folder, index, *args, **kwargs):  # the run dies after the second view of "ring"
        if Path(folder).name == "ring" and index == 2:
            raise KeyboardInterrupt
        return real_export(folder, index, *args, **kwargs)

    monkeypatch.setattr(datagen, "export_synthetic_view", export_then_die)
    with pytest.raises(KeyboardInterrupt):
        generate_views(str(root), out, **FAST)
    assert (out / "ring" / "1_rgb.png").is_file() and not (out / "ring" / "2_rgb.png").exists()
    assert not (out / "ring" / MANIFEST).exists()  # a manifest written before the views would claim them
    (out / "ring" / ".2_metadata.tmp-0123456789abcdef.json").write_text("{")  # a killed atomic write
    monkeypatch.setattr(datagen, "export_synthetic_view", real_export)
    report = generate_views(str(root), out, **FAST)
    assert "ring" in report["rendered"]
    assert (out / "ring" / "2_metadata.json").is_file()
    assert not [p for p in (out / "ring").iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_a_killed_render_process_leaves_only_complete_shapes_claimed(tmp_path):
    """SIGKILL a real ``kaolin-pipeline render`` as soon as it has written a view; every folder with a
    manifest must hold all its views, and a second run finishes the rest."""
    import os
    import signal
    import time

    root, out = tmp_path / "meshes", tmp_path / "out"
    for index, family in enumerate(["sphere", "torus", "cube"]):
        save_mesh(root / f"{family}.obj", make_shape(family, torch.Generator().manual_seed(index)))
    command = [sys.executable, "-m", "kaolin_pipeline", "render", str(root), "--out", str(out), "--views", "8",
               "--size", "32", "--supersample", "1"]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(out.glob("*/*_rgb.png")) and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    folders = [folder for folder in out.iterdir() if folder.is_dir()]
    assert folders, "the process was killed before it wrote anything"
    for folder in folders:
        if (folder / MANIFEST).exists():
            assert view_indices(folder) == list(range(8)), folder
    unfinished = [folder.name for folder in folders if not (folder / MANIFEST).exists()]
    assert unfinished, "the kill came after every shape was complete; nothing was tested"
    report = generate_views(str(root), out, num_views=8, image_size=32, supersample=1, progress=False)
    assert set(unfinished) <= set(report["rendered"])
    assert all(load_view_folder(out / family).images.shape[0] == 8 for family in ("sphere", "torus", "cube"))


def test_other_settings_rerender_and_drop_stale_views(tmp_path):
    out = tmp_path / "out"
    generate_views("synthetic:blob", out, **{**FAST, "num_views": 5})
    report = generate_views("synthetic:blob", out, **FAST)
    assert report["rendered"] == [""] and view_indices(out) == [0, 1, 2]
    assert not (out / "4_metadata.json").exists()


def test_files_differing_only_by_extension_get_their_own_subfolders(tmp_path):
    mesh = make_shape("cube", torch.Generator().manual_seed(0))
    for name in ("chair.obj", "chair.ply", "table.obj"):
        save_mesh(tmp_path / "in" / name, mesh)
    assert [e.subfolder for e in shape_entries(str(tmp_path / "in"))] == ["chair_obj", "chair_ply", "table"]


def test_dataset_sources_name_one_subfolder_per_shape(tmp_path):
    shapenet = tmp_path / "ShapeNetCore.v1"
    for model in ("m1", "m2"):
        save_mesh(shapenet / "03001627" / model / "model.obj", make_shape("cube", torch.Generator().manual_seed(0)))
    assert [e.subfolder for e in shape_entries(f"shapenet:{shapenet}")] == ["03001627/m1", "03001627/m2"]
    modelnet = tmp_path / "ModelNet10"
    save_mesh(modelnet / "chair" / "train" / "chair_0001.off", make_shape("cube", torch.Generator().manual_seed(0)))
    save_mesh(modelnet / "chair" / "test" / "chair_0002.off", make_shape("cube", torch.Generator().manual_seed(0)))
    assert [e.subfolder for e in shape_entries(f"modelnet:{tmp_path}")] == [
        "chair/train/chair_0001", "chair/test/chair_0002"]


@pytest.mark.parametrize("source, error, message", [
    ("synthetic:teapot", ConfigError, "unknown synthetic family"),
    ("nowhere/at/all.obj", LoadError, "no such file or folder"),
])
def test_bad_sources_are_refused(source, error, message):
    with pytest.raises(error, match=message):
        shape_entries(source)


def test_a_folder_where_every_mesh_is_bad_is_an_error(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.obj").write_text("this is not an obj file\n")
    with pytest.raises(LoadError, match="no shape could be rendered"):
        generate_views(str(tmp_path / "in"), tmp_path / "out", **FAST)


def test_fit_reads_a_generated_folder_as_its_target(tmp_path):
    from kaolin_pipeline.train.config import load_config
    from kaolin_pipeline.train.fit import prepare_target

    generate_views("synthetic:capsule", tmp_path / "views", num_views=6, image_size=24, supersample=2, progress=False)
    config = load_config("fit", overrides={"target": str(tmp_path / "views"), "device": "cpu",
                                           "views.folder_heldout_every": 3})
    target = prepare_target(config, torch.device("cpu"))
    assert len(target.train) == 4 and len(target.heldout) == 2
    semantic = import_synthetic_view(tmp_path / "views", 2, semantic=True)["semantic"][..., 0]
    assert torch.equal(target.heldout.masks[0], (semantic > 0).float())
    # Colours are over black: nothing outside the anti-aliased coverage (alpha 0), edges scaled by alpha.
    alpha = torch.from_numpy(np.asarray(Image.open(tmp_path / "views" / "2_rgb.png"))[..., 3].copy())
    assert bool((target.heldout.images[0][alpha == 0] == 0).all())
    assert bool((target.heldout.images[0][(alpha > 0) & (semantic == 0)] > 0).any())
    assert target.renderer.height == 24 and math.isclose(float(target.train.cameras.projection[1]),
                                                         1 / math.tan(math.radians(15)), rel_tol=1e-5)


def test_fit_refuses_a_folder_too_small_to_hold_a_view_out(tmp_path, capsys):
    generate_views("synthetic:cone", tmp_path / "views", **FAST)  # 3 views, every 5th held out
    assert main(["fit", str(tmp_path / "views"), "--out", str(tmp_path / "run"), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "3 views leave none held out" in err and "views.folder_heldout_every" in err


@pytest.mark.parametrize("args, message", [
    (["render", "missing.obj", "--out", "x"], "no such file or folder"),
    (["render", "synthetic:blob", "--out", "x", "--views", "0"], "at least one view"),
    (["render", "synthetic:blob", "--out", "x", "--size", "-3"], "image size"),
])
def test_cli_render_bad_input_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("kaolin-pipeline: error:") and message in err[0]
    assert not (tmp_path / "x").exists()


def test_cli_render_writes_views_and_reports(tmp_path):
    result = subprocess.run([sys.executable, "-m", "kaolin_pipeline", "render", "synthetic:cone", "--out",
                             str(tmp_path / "v"), "--views", "2", "--size", "16", "--cameras", "turntable",
                             "--seed", "4"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "rendered 1, skipped 0" in result.stdout
    assert view_indices(tmp_path / "v") == [0, 1]
    assert json.loads((tmp_path / "v" / MANIFEST).read_text())["settings"]["cameras"] == "turntable"
