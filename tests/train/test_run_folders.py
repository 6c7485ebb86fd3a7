"""Run folders are never silently mixed: new runs refuse old ones, one writer at a time, resumes
checked before anything is written, old-layout runs resume as trained, one line for bad paths."""
import errno
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

from kaolin_pipeline.atomic import is_temporary_name
from kaolin_pipeline.cli import main
from kaolin_pipeline.errors import ConfigError, SaveError
from kaolin_pipeline.export.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from kaolin_pipeline.export.rundir import RunDir, fresh_run_dir, looks_like_run

TINY = ["--device", "cpu", "views.image_size=16", "template.subdivisions=1", "template.texture_resolution=8",
        "log.timelapse_every=0", "eval.num_points=200", "eval.voxel_resolution=8", "log.every=1"]


def _fit(run: Path, *extra: str, steps: int = 2) -> int:
    return main(["fit", "synthetic:cube", "--out", str(run), "--steps", str(steps), *TINY, *extra])


def _one_error_line(capsys) -> str:
    """The one error line on stderr (the progress bar may come before it; no traceback)."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.strip().splitlines() if line.strip() and "%|" not in line]
    assert len(lines) == 1 and lines[0].startswith("kaolin-pipeline: error: "), lines
    return lines[0]


def _temporary_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if is_temporary_name(p.name)]


# --------------------------------------------------------------------------- RunDir


def test_rundir_names_every_file_of_a_run(tmp_path):
    run = RunDir(tmp_path / "r")
    names = {p.relative_to(run.path).as_posix() for p in
             (run.config, run.checkpoints, run.timelapse, run.final, run.target_mesh, run.metrics_csv, run.metrics_json,
              run.eval_json, run.views, run.report, run.lock, run.view_image("pred", 3))}
    assert names == {"config.yaml", "checkpoints", "timelapse", "final", "target/mesh.usd", "metrics.csv",
                     "metrics.json", "eval.json", "views", "report.html", "lock", "views/pred_3.png"}
    assert not run.path.exists()  # naming creates nothing


def test_rundir_writes_atomically_and_reads_config_with_our_loader(tmp_path):
    run = RunDir(tmp_path / "r")
    run.write_config({"optim": {"lr": 1e-3}, "name": "x"})
    assert run.read_config() == {"optim": {"lr": 0.001}, "name": "x"}
    run.config.write_text("optim: {lr: 5e-3}\n")  # PyYAML's plain loader reads 5e-3 as a string
    assert run.read_config()["optim"]["lr"] == 0.005
    run.write_json(run.metrics_json, {"iou": 0.5})
    assert json.loads(run.metrics_json.read_text()) == {"iou": 0.5}
    assert _temporary_files(run.path) == []


def test_looks_like_run_and_fresh_folders(tmp_path):
    assert not looks_like_run(tmp_path / "missing") and not looks_like_run(tmp_path)
    assert fresh_run_dir(tmp_path, "fit").path == tmp_path / "fit"
    RunDir(tmp_path / "fit").write_config({})
    assert looks_like_run(tmp_path / "fit")
    assert fresh_run_dir(tmp_path, "fit").path == tmp_path / "fit-2"
    (tmp_path / "fit-2").mkdir()
    (tmp_path / "fit-2" / "lock").write_text(f"{os.getpid()}\n")
    assert fresh_run_dir(tmp_path, "fit").path == tmp_path / "fit-3"


def test_lock_refuses_a_live_writer_and_reclaims_a_dead_one(tmp_path):
    run = RunDir(tmp_path / "r")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        run.create()
        run.lock.write_text(f"{sleeper.pid} {os.uname().nodename}\n")
        with pytest.raises(ConfigError, match=rf"another run is writing this folder \(process {sleeper.pid};"):
            with run.locked():
                pass
    finally:
        sleeper.kill()
        sleeper.wait()
    with run.locked() as lock:  # the pid is gone: reclaimed
        assert lock.read_text().split()[0] == str(os.getpid())
    assert not run.lock.exists()


# --------------------------------------------------------------------------- through the CLI


def test_a_new_run_refuses_a_folder_holding_a_run(tmp_path, capsys):
    run = tmp_path / "run"
    assert _fit(run) == 0
    before = (run / "config.yaml").read_bytes()
    capsys.readouterr()
    assert _fit(run, "seed=5") == 2
    line = _one_error_line(capsys)
    assert f"{run} already holds a run" in line and f"--resume {run}" in line and "--overwrite" in line
    assert (run / "config.yaml").read_bytes() == before
    assert _fit(run, "seed=5", "--overwrite") == 0
    assert yaml.safe_load((run / "config.yaml").read_text())["seed"] == 5
    rows = (run / "metrics.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in rows] == ["step", "1", "2"]  # no rows of the first run


@pytest.mark.slow
def test_a_run_without_out_gets_a_fresh_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        assert main(["fit", "synthetic:cube", "--steps", "1", *TINY]) == 0
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["fit", "fit-2"]


@pytest.mark.slow
def test_two_concurrent_fits_into_one_folder_the_second_is_refused(tmp_path, capsys):
    run = tmp_path / "run"
    first = subprocess.Popen([sys.executable, "-m", "kaolin_pipeline", "fit", "synthetic:cube", "--out", str(run),
                              "--steps", "100000", *TINY], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    try:
        deadline = time.time() + 120
        while not (run / "lock").exists() and time.time() < deadline:
            time.sleep(0.2)
        assert (run / "lock").exists()
        assert _fit(run) == 2
        line = _one_error_line(capsys)
        assert "another run is writing this folder" in line or "already holds a run" in line
        assert _fit(run, "--overwrite") == 2  # not even --overwrite takes a live run's folder
        assert f"process {first.pid}" in _one_error_line(capsys)
    finally:
        first.kill()
        first.wait()


@pytest.mark.slow
def test_resume_applies_overrides_after_the_run_folder(tmp_path, capsys):
    run = tmp_path / "run"
    assert _fit(run) == 0
    assert main(["fit", "--resume", str(run), "steps=4"]) == 0  # key=value after --resume RUN is an override
    assert yaml.safe_load((run / "config.yaml").read_text())["steps"] == 4
    assert latest_checkpoint(run / "checkpoints").name == "step_000004.pt"


@pytest.mark.slow
@pytest.mark.parametrize("override, key", [("template.subdivisions=2", "template.subdivisions"),
                                           ("optim.smoothing=0", "optim.smoothing"),
                                           ("target=synthetic:sphere", "target")])
def test_resume_refuses_a_change_the_checkpoint_cannot_take_before_writing(tmp_path, capsys, override, key):
    run = tmp_path / "run"
    assert _fit(run) == 0
    files = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    capsys.readouterr()
    assert main(["fit", "--resume", str(run), override]) == 2
    line = _one_error_line(capsys)
    assert f"--resume {run}: {key}:" in line and "start a new run" in line
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file()} == files


def test_resume_after_editing_the_template_size_in_config_yaml_gives_one_line(tmp_path, capsys):
    run = tmp_path / "run"
    assert _fit(run) == 0
    config = yaml.safe_load((run / "config.yaml").read_text())
    config["template"]["subdivisions"] = 2
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    capsys.readouterr()
    assert main(["fit", "--resume", str(run)]) == 2
    assert "template.subdivisions: 1 -> 2" in _one_error_line(capsys)


def _old_layout(config: dict) -> dict:
    """``config`` as the code before issue 16 wrote it: ``views.batch_size``, ``0`` for "keep the
    preset's", no ``optim.smoothing``."""
    old = json.loads(json.dumps(config))
    old["views"]["batch_size"] = old["optim"].pop("batch_size")
    del old["optim"]["smoothing"]
    for key in ("image_size", "num_views", "sigmainv"):
        old["views"][key] = old["views"][key] or 0
    return old


@pytest.mark.slow
def test_an_old_layout_fit_run_resumes_and_evaluates_as_trained(tmp_path, capsys):
    """A run of the code before this change: no smoothing (key absent, model without the buffer),
    old key names. Interrupted at step 2, it resumes to the metrics an uninterrupted run reaches."""
    common = ["optim.smoothing=0", "views.sigmainv=7000", "log.checkpoint_every=2"]
    straight, old = tmp_path / "straight", tmp_path / "old"
    assert _fit(straight, *common, steps=4) == 0
    assert main(["fit", "synthetic:cube", "--out", str(old), "--steps", "4", *TINY, *common]) == 0
    # turn `old` into a run interrupted at step 2 by the old code
    for name in ("final", "views", "report.html", "metrics.json", "target"):
        path = old / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    for step in (3, 4):
        (old / "checkpoints" / f"step_{step:06d}.pt").unlink(missing_ok=True)
    (old / "checkpoints" / "latest.json").unlink(missing_ok=True)
    saved = yaml.safe_load((old / "config.yaml").read_text())
    (old / "config.yaml").write_text(yaml.safe_dump(_old_layout(saved)))
    checkpoint = load_checkpoint(old / "checkpoints" / "step_000002.pt")
    checkpoint.pop("format_version")
    assert "smoothing" not in checkpoint["model"]
    checkpoint["config"] = _old_layout(checkpoint["config"])
    save_checkpoint(old / "checkpoints" / "step_000002.pt", **checkpoint)
    capsys.readouterr()
    assert main(["fit", "--resume", str(old)]) == 0
    resumed = json.loads((old / "metrics.json").read_text())
    reference = json.loads((straight / "metrics.json").read_text())
    for key in ("mask_iou", "psnr", "chamfer", "voxel_iou"):
        assert resumed[key] == pytest.approx(reference[key], rel=1e-5), key
    assert yaml.safe_load((old / "config.yaml").read_text())["optim"]["batch_size"] == 2  # saved under today's names


@pytest.mark.parametrize("override, key", [
    ("views.image_size=-5", "views.image_size"), ("views.sigmainv=-1", "views.sigmainv"),
    ("template.subdivisions=-1", "template.subdivisions"), ("log.checkpoint_every=-5", "log.checkpoint_every"),
    ("log.every=0", "log.every"), ("views.num_views=-2", "views.num_views"), ("optim.batch_size=0", "optim.batch_size"),
    ("optim.scheduler_step=0", "optim.scheduler_step"), ("eval.num_points=0", "eval.num_points"),
    ("views.target_scale=0", "views.target_scale"), ("template.texture_resolution=0", "template.texture_resolution"),
("loss.mask=-1", "loss.mask"), ("steps=0", "steps"),
])
def test_bad_values_are_refused_before_work_starts(tmp_path, capsys, override, key):
    run = tmp_path / "run"
    assert _fit(run, override) == 2
    assert f"config key '{key}' must be" in _one_error_line(capsys)
    assert not run.exists()


@pytest.mark.parametrize("override, message", [
    ("views.supervise=16", "'views.supervise' must be at most views.num_views - 1 = 15"),
    ("eval.input_view=16", "'eval.input_view' must be below views.num_views = 16"),
    ("data.num_workers=-1", "'data.num_workers' must be >= 0"),
])
def test_bad_train_values_are_refused_before_work_starts(tmp_path, capsys, override, message):
    assert main(["train", "--out", str(tmp_path / "run"), "--device", "cpu", override]) == 2
    assert message in _one_error_line(capsys)
    assert not (tmp_path / "run").exists()


def test_an_old_key_name_is_refused_with_the_new_one(tmp_path, capsys):
    assert _fit(tmp_path / "run", "views.batch_size=2") == 2
    assert "unknown config key 'views.batch_size'; it is now 'optim.batch_size'" in _one_error_line(capsys)


def test_subdivisions_are_bounded_by_the_dense_smoothing_matrix_memory(tmp_path, capsys):
    # reconstruction's decoder holds the dense (V, V) matrix: 655362² entries do not fit; fit solves sparsely
    assert main(["train", "--out", str(tmp_path / "run"), "--device", "cpu", "template.subdivisions=8"]) == 2
    line = _one_error_line(capsys)
    assert "655362 vertices" in line and "GiB" in line and "model.smoothing=0" in line
    assert not (tmp_path / "run").exists()


def test_yaml_aliases_are_refused(tmp_path, capsys):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text('a: &a ["x", "x"]\nb: &b [*a, *a]\nc: &c [*b, *b]\nname: *c\n')
    assert main(["fit", "synthetic:cube", "--config", str(bomb), "--out", str(tmp_path / "run"), *TINY]) == 2
    assert "aliases are not allowed" in _one_error_line(capsys)


# --------------------------------------------------------------------------- disk and paths


def test_out_a_file_or_below_a_file_gives_one_line(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert _fit(afile) == 2
    assert f"{afile}: is a file, not a folder" in _one_error_line(capsys)
    assert _fit(afile / "run") == 2
    assert f"{afile / 'run'}: cannot create the folder" in _one_error_line(capsys)
    assert afile.read_text() == "x"


def test_view_out_a_folder_gives_one_line(tmp_path, capsys):
    mesh = tmp_path / "m.obj"
    mesh.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    assert main(["view", str(mesh), "--out", str(tmp_path), "--no-browser"]) == 2
    assert f"--out {tmp_path}: is a folder" in _one_error_line(capsys)


@pytest.mark.slow
@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left on device"),
                                   RuntimeError("[enforce fail at inline_container.cc:603] . unexpected pos")])
def test_a_full_disk_while_checkpointing_gives_one_line_and_no_temporary_files(tmp_path, capsys, monkeypatch, error):
    def full(obj, f, *args, **kwargs):
        Path(f).write_bytes(b"PK\x03\x04 half")  # what a writer leaves when the disk fills
        raise error

    monkeypatch.setattr(torch, "save", full)
    run = tmp_path / "run"
    assert _fit(run) == 2
    line = _one_error_line(capsys)
    assert "step_000002.pt: cannot write checkpoint" in line
    assert _temporary_files(run) == [] and not (run / "lock").exists()


def test_a_full_disk_while_writing_the_config_gives_one_line(tmp_path, capsys, monkeypatch):
    import kaolin_pipeline.atomic as atomic

    def full(path):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "_fsync_file", full)
    run = tmp_path / "run"
    assert _fit(run) == 2
    assert f"{run / 'config.yaml'}: cannot write (no space left on the device)" in _one_error_line(capsys)
    assert _temporary_files(run) == [] and not (run / "config.yaml").exists() and not (run / "lock").exists()


def test_a_full_disk_while_exporting_leaves_no_empty_textures_folder(tmp_path, capsys, monkeypatch):
    from PIL import Image

    from kaolin_pipeline.export.assets import export_assets
    from kaolin_pipeline.structures import Mesh

    vertices = torch.tensor([[0.0, 0, 0], [1, 0, 0], [0, 1, 0]])
    faces = torch.tensor([[0, 1, 2]])
    mesh = Mesh(vertices, faces, uvs=vertices[:, :2].clone(), face_uvs_idx=faces.clone(), texture=torch.rand(3, 4, 4))
    source = tmp_path / "source.obj"
    export_assets(mesh, tmp_path, formats=("obj",), name="source")

    def full(self, fp, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", full)
    out = tmp_path / "out"
    assert main(["export", str(source), "--format", "usd", str(out / "mesh.usd")]) == 2
    assert "No space left on device" in _one_error_line(capsys)
    assert not (out / "textures").exists() and _temporary_files(tmp_path) == []


@pytest.mark.slow
def test_fit_writes_its_target_once_in_its_own_units_and_the_page_reads_it(tmp_path):
    from tests.visualize.test_report import _item, page_scene

    from kaolin_pipeline.datasets.synthetic import make_shape
    from kaolin_pipeline.io.mesh import load_mesh
    from kaolin_pipeline.visualize.report import write_report

    run = tmp_path / "run"
    assert _fit(run, "seed=4") == 0
    written = load_mesh(run / "target" / "mesh.usd")
    expected = make_shape("cube", torch.Generator().manual_seed(4))  # the target as the user named it
    assert torch.allclose(written.vertices, expected.vertices, atol=1e-5)
    assert torch.equal(written.faces, expected.faces)
    config = yaml.safe_load((run / "config.yaml").read_text())
    config["target"] = str(tmp_path / "gone.obj")  # the page no longer reads the target through the config
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    target = _item(page_scene(write_report(run).read_text()), "target", "mesh")
    assert target["path"] == str(run / "target" / "mesh.usd")


def test_view_out_below_a_file_or_on_a_full_disk_gives_one_line(tmp_path, capsys, monkeypatch):
    import kaolin_pipeline.atomic as atomic

    mesh = tmp_path / "m.obj"
    mesh.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    assert main(["view", str(mesh), "--out", str(mesh / "page.html"), "--no-browser"]) == 2
    assert f"--out {mesh / 'page.html'}: cannot write the page" in _one_error_line(capsys)

    def full(path):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "_fsync_file", full)
    page = tmp_path / "pages" / "page.html"
    assert main(["view", str(mesh), "--out", str(page), "--no-browser"]) == 2
    assert f"--out {page}: cannot write the page (No space left on device)" in _one_error_line(capsys)
    assert not page.exists() and _temporary_files(tmp_path) == []
