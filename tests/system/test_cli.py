"""The command line: exit codes, one-line errors, info on each kind of file, a tiny fit end to end."""
import os
import json
import platform
import subprocess
import sys

import pytest
import torch
import trimesh

from kaolin_pipeline.cli import main
from kaolin_pipeline.io import save_pointcloud, save_voxelgrid
from kaolin_pipeline.structures import PointCloud, VoxelGrid
from page_faults import steady_page_faults


def _run(*args):
    return subprocess.run([sys.executable, "-m", "kaolin_pipeline", *args], capture_output=True, text=True)


def test_doctor_exits_zero():
    result = _run("doctor")
    assert result.returncode == 0
    assert result.stdout.startswith("python") and "torch" in result.stdout


def test_missing_file_is_one_line_on_stderr_and_exit_2(tmp_path):
    missing = tmp_path / "nope.obj"
    result = _run("info", str(missing))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and str(missing) in lines[0] and lines[0].startswith("kaolin-pipeline: error:")


def test_mistyped_config_key_is_refused_naming_the_key(tmp_path, capsys):
    code = main(["fit", "synthetic:sphere", "--out", str(tmp_path / "run"), "optim.lr_textre=0.1"])
    err = capsys.readouterr().err
    assert code == 2 and "optim.lr_textre" in err and "optim.lr_texture" in err
    assert not (tmp_path / "run").exists()


def test_resume_of_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert main(["fit", "--resume", str(tmp_path)]) == 2
    assert "config.yaml" in capsys.readouterr().err


def test_info_on_mesh_pointcloud_and_voxelgrid(tmp_path, capsys):
    box = trimesh.creation.box(extents=(2.0, 1.0, 4.0))
    box.export(tmp_path / "box.obj")
    assert main(["info", str(tmp_path / "box.obj")]) == 0
    out = capsys.readouterr().out
    assert ": mesh" in out and "vertices  8" in out and "faces     12" in out
    assert "[-1, -0.5, -2] .. [1, 0.5, 2]" in out

    points = torch.rand(50, 3, generator=torch.Generator().manual_seed(0))
    save_pointcloud(tmp_path / "cloud.ply", PointCloud(points, colors=torch.rand(50, 3)))
    assert main(["info", str(tmp_path / "cloud.ply")]) == 0
    out = capsys.readouterr().out
    assert ": point cloud" in out and "points    50" in out and "colors (50, 3)" in out

    occupancy = torch.zeros(8, 8, 8, dtype=torch.bool)
    occupancy[2:4, 2:4, 2:6] = True
    save_voxelgrid(tmp_path / "grid.binvox", VoxelGrid(occupancy, torch.zeros(3), 1.0))
    assert main(["info", str(tmp_path / "grid.binvox")]) == 0
    out = capsys.readouterr().out
    assert "resolution 8^3" in out and "occupied  16 " in out


def test_unknown_extension_is_refused(tmp_path, capsys):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    assert main(["info", str(path)]) == 2
    assert "unsupported file type '.txt'" in capsys.readouterr().err


@pytest.mark.slow
def test_tiny_fit_then_view_and_export(tmp_path, capsys):
    run = tmp_path / "run"
    code = main(["fit", "synthetic:sphere", "--out", str(run), "--steps", "4", "--device", "cpu",
                 "views.image_size=32", "template.init=sphere", "template.subdivisions=2", "template.texture_resolution=16",
                 "log.timelapse_every=2", "log.checkpoint_every=2", "eval.num_points=1000"])
    assert code == 0
    out = capsys.readouterr().out
    assert f"report:  {run / 'report.html'}" in out
    metrics = json.loads((run / "metrics.json").read_text())
    assert set(metrics) == {"mask_iou", "psnr", "psnr_foreground", "folded_faces", "chamfer", "f_score_1", "f_score_2", "voxel_iou", "seconds", "train_seconds"}
    for name in ("config.yaml", "metrics.csv", "report.html", "final/mesh.usd", "final/mesh.obj", "final/mesh.glb",
                 "checkpoints/step_000004.pt", "timelapse/fit/mesh_0.usd", "timelapse/fit/pointcloud_0.usd",
                 "timelapse/fit/voxelgrid_0.usd"):
        assert (run / name).is_file(), name
    assert main(["export", str(run / "checkpoints" / "step_000004.pt"), "--format", "ply", str(tmp_path / "m.ply")]) == 0
    exported = trimesh.load(tmp_path / "m.ply", process=False)
    assert exported.vertices.shape == (162, 3)
    assert main(["view", str(run), "--no-browser"]) == 0
    assert "report.html" in capsys.readouterr().out
    # resuming a finished run changes nothing but succeeds
    assert main(["fit", "--resume", str(run)]) == 0


def test_commands_wait_passively_for_openmp_unless_the_user_chose(monkeypatch):
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    assert main(["doctor"]) == 0
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    assert main(["doctor"]) == 0
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the allocator setting is glibc's mallopt")
def test_commands_keep_freed_memory_so_a_training_loop_reuses_its_pages():
    plain = steady_page_faults()
    assert plain > 4 * 50_000  # each step maps its activations again
    after_a_command = "from kaolin_pipeline.cli import main\nassert main(['doctor']) == 0\n"
    assert steady_page_faults(after_a_command) < plain / 10
