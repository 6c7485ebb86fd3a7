"""Checkpoints: round trips of training state, RNG reproduction, refusals of bad files, latest pointer, atomic writes."""
from __future__ import annotations

import io
import json
import os
import random
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.errors import CheckpointError, LoadError, SaveError
from kaolin_pipeline.atomic import atomic_open, atomic_path, is_temporary_name
from kaolin_pipeline.export.checkpoint import (
    FORMAT_VERSION,
    capture_rng_state,
    checkpoint_name,
    latest_checkpoint,
    load_checkpoint,
    mesh_from_state,
    mesh_state,
    restore_rng_state,
    save_checkpoint,
)


def _training_setup(seed: int):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    return model, optimizer, scheduler


def _train_step(model, optimizer, scheduler, inputs):
    optimizer.zero_grad()
    model(inputs).pow(2).mean().backward()
    optimizer.step()
    scheduler.step()


def test_training_state_round_trip_resumes_identically(tmp_path):
    model, optimizer, scheduler = _training_setup(0)
    inputs = torch.randn(16, 4, generator=torch.Generator().manual_seed(1))
    for _ in range(3):
        _train_step(model, optimizer, scheduler, inputs)
    config = {"lr": 0.01, "layers": [4, 8, 1], "name": "fit", "note": None, "flags": {"amp": False}}
    path = save_checkpoint(
        tmp_path / checkpoint_name(3),
        model=model.state_dict(), optimizer=optimizer.state_dict(), scheduler=scheduler.state_dict(),
        step=3, config=config,
    )
    assert path == tmp_path / "step_000003.pt"

    loaded = load_checkpoint(path)
    assert loaded["format_version"] == FORMAT_VERSION
    assert loaded["step"] == 3 and loaded["config"] == config
    resumed, resumed_optimizer, resumed_scheduler = _training_setup(99)  # different initial weights
    resumed.load_state_dict(loaded["model"])
    resumed_optimizer.load_state_dict(loaded["optimizer"])
    resumed_scheduler.load_state_dict(loaded["scheduler"])
    assert resumed_scheduler.last_epoch == 3
    assert resumed_optimizer.param_groups[0]["lr"] == pytest.approx(0.01 * 0.5)  # StepLR halved once after 2 steps

    # One more step from the original and from the resumed copy must agree exactly
    # (this needs Adam's exp_avg / exp_avg_sq / step and the scheduler's position).
    _train_step(model, optimizer, scheduler, inputs)
    _train_step(resumed, resumed_optimizer, resumed_scheduler, inputs)
    for original, copy in zip(model.parameters(), resumed.parameters()):
        assert torch.equal(original, copy)
    assert resumed_optimizer.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"]


def test_file_loads_with_plain_torch_weights_only(tmp_path):
    path = save_checkpoint(tmp_path / "x.pt", weights=torch.arange(5.0), step=7)
    raw = torch.load(path, weights_only=True)
    assert torch.equal(raw["weights"], torch.arange(5.0)) and raw["step"] == 7


def _draw_all():
    return (
        torch.rand(5),
        np.random.rand(3),
        np.random.randn(3),
        [random.random() for _ in range(3)],
        random.gauss(0.0, 1.0),
    )


def test_restored_rng_reproduces_next_numbers(tmp_path):
    torch.manual_seed(123)
    np.random.seed(123)
    random.seed(123)
    np.random.randn(1)  # leave a cached Gaussian in NumPy's state
    random.gauss(0.0, 1.0)  # and in Python's (gauss_next)
    path = save_checkpoint(tmp_path / "rng.pt", rng=capture_rng_state())
    expected = _draw_all()

    torch.manual_seed(0)
    np.random.seed(0)
    random.seed(0)
    restore_rng_state(load_checkpoint(path)["rng"])
    got = _draw_all()
    assert torch.equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
    np.testing.assert_array_equal(got[2], expected[2])
    assert got[3] == expected[3] and got[4] == expected[4]


def test_restore_rng_names_missing_key():
    state = capture_rng_state()
    del state["numpy"]
    with pytest.raises(CheckpointError, match="numpy"):
        restore_rng_state(state)


def test_mesh_payload_round_trip(tmp_path):
    mesh = Mesh(
        vertices=torch.tensor([[0.0, 0, 0], [1, 0, 0], [0, 1, 0]]),
        faces=torch.tensor([[0, 1, 2]]),
        vertex_colors=torch.tensor([[1.0, 0, 0], [0, 1, 0], [0, 0, 1]]),
    )
    path = save_checkpoint(tmp_path / "m.pt", mesh=mesh_state(mesh))
    back = mesh_from_state(load_checkpoint(path)["mesh"], str(path))
    assert torch.equal(back.vertices, mesh.vertices) and torch.equal(back.faces, mesh.faces)
    assert torch.equal(back.vertex_colors, mesh.vertex_colors) and back.uvs is None
    with pytest.raises(LoadError, match="m.pt"):
        mesh_from_state({"vertices": mesh.vertices, "faces": torch.tensor([[0, 1, 5]])}, str(path))
    with pytest.raises(CheckpointError, match="unknown keys"):
        mesh_from_state({**mesh_state(mesh), "colour": mesh.vertices}, str(path))


class _Custom:
    pass


def test_save_refuses_objects_weights_only_would_reject(tmp_path):
    target = tmp_path / "bad.pt"
    with pytest.raises(CheckpointError, match=r"state\['config'\]\['fn'\].*_Custom"):
        save_checkpoint(target, config={"fn": _Custom()})
    with pytest.raises(CheckpointError, match="numpy"):
        save_checkpoint(target, value=np.float64(1.0))
    with pytest.raises(CheckpointError, match="reserved"):
        save_checkpoint(target, format_version=3)
    assert os.listdir(tmp_path) == []


def test_load_refuses_pickled_custom_object(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format_version": 1, "payload": _Custom()}, path)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert str(path) in message and "will not be unpickled" in message and "_Custom" in message


def _png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (255, 0, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


def _write_zip_of_text(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes/readme.txt", "hello")


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda p, good: p.write_bytes(b""), "empty"),
        (lambda p, good: p.write_bytes(good.read_bytes()[: good.stat().st_size // 2]), "truncated"),
        (lambda p, good: p.write_bytes(good.read_bytes()[:-10]), "truncated"),
        (lambda p, good: p.write_bytes(_png_bytes()), "not a checkpoint"),
        (lambda p, good: _write_zip_of_text(p), "not a torch checkpoint"),
        (lambda p, good: torch.save({"a": torch.ones(2)}, p), "no 'format_version'"),
        (lambda p, good: torch.save({"format_version": FORMAT_VERSION + 1}, p), "newer"),
        (lambda p, good: torch.save([1, 2], p), "not a checkpoint dict"),
        (lambda p, good: None, "no such"),
    ],
    ids=["empty", "half", "tail-cut", "png", "foreign-zip", "no-version", "newer-version", "list", "missing"],
)
def test_bad_files_raise_checkpoint_error_naming_file(tmp_path, make, reason):
    good = save_checkpoint(tmp_path / "good.pt", weights=torch.randn(1000))
    bad = tmp_path / "bad.pt"
    make(bad, good)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(bad)
    assert str(bad) in str(info.value) and reason in str(info.value)


def test_latest_checkpoint_uses_pointer_without_scanning(tmp_path, monkeypatch):
    assert latest_checkpoint(tmp_path / "absent") is None
    assert latest_checkpoint(tmp_path) is None
    for step in (100, 500, 300):  # a lower step saved last must not move the pointer back
        save_checkpoint(tmp_path / checkpoint_name(step), step=step)
    save_checkpoint(tmp_path / "best.pt", step=42)  # not a step file: pointer unchanged
    pointer = json.loads((tmp_path / "latest.json").read_text())
    assert pointer["latest"] == "step_000500.pt"

    def no_scan(*args, **kwargs):
        raise AssertionError("latest_checkpoint scanned the folder although latest.json is valid")

    monkeypatch.setattr(os, "scandir", no_scan)
    assert latest_checkpoint(tmp_path) == tmp_path / "step_000500.pt"


@pytest.mark.parametrize("spoil", ["delete", "garbage", "dangling"])
def test_latest_checkpoint_falls_back_to_one_scan(tmp_path, spoil):
    for step in (1, 20, 3):
        save_checkpoint(tmp_path / checkpoint_name(step), step=step)
    (tmp_path / ".step_000999.tmp-0123456789abcdef.pt").write_bytes(b"partial")  # left by a killed writer
    (tmp_path / "step_000999.pt.bak").write_bytes(b"not a checkpoint name")
    pointer = tmp_path / "latest.json"
    if spoil == "delete":
        pointer.unlink()
        expected = "step_000020.pt"
    elif spoil == "garbage":
        pointer.write_text("{not json")
        expected = "step_000020.pt"
    else:
        (tmp_path / "step_000020.pt").unlink()
        expected = "step_000003.pt"
    assert latest_checkpoint(tmp_path) == tmp_path / expected


def test_latest_checkpoint_rejects_a_file(tmp_path):
    target = tmp_path / "plain.txt"
    target.write_text("x")
    with pytest.raises(CheckpointError, match="plain.txt"):
        latest_checkpoint(target)


def test_checkpoint_name_validates_step():
    assert checkpoint_name(0) == "step_000000.pt" and checkpoint_name(1234567) == "step_1234567.pt"
    with pytest.raises(CheckpointError, match="step"):
        checkpoint_name(-1)


def test_atomic_open_keeps_old_content_on_failure(tmp_path):
    target = tmp_path / "data.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_open(target, "w") as handle:
            handle.write("half of the new")
            raise RuntimeError("boom")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["data.txt"]
    with atomic_open(target, "w") as handle:
        handle.write("new")
    assert target.read_text() == "new" and os.listdir(tmp_path) == ["data.txt"]


def test_atomic_path_same_folder_suffix_and_umask_permissions(tmp_path):
    target = tmp_path / "mesh.usd"
    with atomic_path(target) as temporary:
        assert temporary.parent == tmp_path and temporary.suffix == ".usd"
        assert is_temporary_name(temporary.name) and not temporary.exists()
        temporary.write_bytes(b"abc")
    reference = tmp_path / "reference"
    reference.write_bytes(b"")
    assert target.read_bytes() == b"abc"
    assert (target.stat().st_mode & 0o777) == (reference.stat().st_mode & 0o777)


def test_atomic_path_errors(tmp_path):
    with pytest.raises(SaveError, match="produced no file"):
        with atomic_path(tmp_path / "never.bin"):
            pass
    with pytest.raises(SaveError, match="does not exist"):
        with atomic_path(tmp_path / "missing" / "x.bin"):
            pass
