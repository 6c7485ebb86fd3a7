"""The reconstruction recipe on a handful of tiny shapes: cached views, data path, learning, per-category eval."""
import json
import math
from pathlib import Path

import pytest
import torch

from kaolin_pipeline.datasets.cache import ItemCache
from kaolin_pipeline.datasets.collate import mesh_to_item
from kaolin_pipeline.errors import ConfigError
from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.train.config import load_config
from kaolin_pipeline.train.distributed import DistContext
from kaolin_pipeline.train.metrics_log import read_metrics
from kaolin_pipeline.train.reconstruct import ReconstructionProblem, draw_views, evaluate, format_eval_table, train
from kaolin_pipeline.ops.icosphere import icosphere
from kaolin_pipeline.train.view_data import (RenderViews, StepSampler, build_dataset, preprocess, share_sampler,
                                             unpack_views)

TINY = {
    "device": "cpu", "data.source": "synthetic:4", "data.num_test": 3, "data.families": ["sphere", "cube", "cylinder"],
    "views.num_views": 3, "views.image_size": 32, "views.supervise": 2, "template.subdivisions": 2,
    "model.channels": [8, 16, 32], "model.hidden": 64, "model.norm": "group", "optim.batch_size": 2,
    "optim.lr": 1e-3, "log.every": 1, "log.checkpoint_every": 0, "log.timelapse_every": 0,
    "eval.num_points": 1000, "data.num_workers": 0, "views.supersample": 2,
}
CPU = torch.device("cpu")


def _tiny(**overrides):
    return load_config("reconstruct", overrides={**TINY, **overrides})


def test_rendered_views_are_cached_and_match_a_fresh_render(tmp_path):
    config = _tiny()
    dataset = build_dataset(config, "train", tmp_path / "cache")
    item = dataset[1]
    assert item["views"].shape == (3, 32, 32, 4) and item["views"].dtype == torch.uint8
    assert float(item["vertices"].norm(dim=1).max()) == pytest.approx(0.7, rel=1e-5)
    assert len(list((tmp_path / "cache").rglob("*.pt"))) == 1
    cached = dataset[1]  # read back from the cache
    fresh = dataset.dataset[1]  # the uncached dataset renders again
    assert torch.equal(fresh["views"], cached["views"])
    assert isinstance(dataset.dataset.transform, RenderViews)
    # test shapes differ from training shapes
    test_item = build_dataset(config, "test", tmp_path / "cache")[1]
    assert not torch.equal(test_item["views"], item["views"])


def test_a_broken_file_is_skipped_inside_its_own_split(tmp_path):
    from kaolin_pipeline.datasets.folders import hash_split
    from kaolin_pipeline.io.mesh import save_mesh

    vertices, faces = icosphere(0)
    names = [f"shape{i:02d}.obj" for i in range(12)]
    splits = {name: hash_split(name) for name in names}
    test_names = sorted(name for name in names if splits[name] == "test")
    assert len(test_names) >= 2 and len(test_names) < len(names)
    for name in names:
        save_mesh(tmp_path / "data" / name, Mesh(vertices, faces))
    broken = test_names[0]
    (tmp_path / "data" / broken).write_text("this is not an OBJ file\nf 1 2 99\n")
    config = _tiny(**{"data.source": "folder", "data.root": str(tmp_path / "data"), "views.num_views": 2,
                      "views.image_size": 16, "views.supervise": 1})
    test_set = build_dataset(config, "test", tmp_path / "cache")
    with pytest.warns(RuntimeWarning, match=broken):
        seen = [Path(test_set[i]["path"]).name for i in range(len(test_set))]
    assert len(seen) == len(test_names) and set(seen) == set(test_names) - {broken}  # no training shape
    train_set = build_dataset(config, "train", tmp_path / "cache")
    assert {Path(p).name for p in train_set.paths} == set(names) - set(test_names)


def test_view_coverage_is_the_projected_area_of_a_sphere():
    """Anti-aliased coverage sums to the area of the sphere's perspective outline (a circle)."""
    config = load_config("reconstruct", overrides={"views.num_views": 4, "views.supervise": 2, "views.image_size": 64})
    vertices, faces = icosphere(4)
    item = mesh_to_item(Mesh(vertices * 3.0, faces), category="", path="sphere")  # any scale: RenderViews rescales to radius 0.7
    views = RenderViews(config)(item)["views"]
    _, alpha = unpack_views(views)
    # default preset: distance 3, vertical field of view 30 degrees; outline half-angle asin(r / d)
    radius_px = math.tan(math.asin(0.7 / 3.0)) / math.tan(math.radians(15)) * 32
    expected = math.pi * radius_px ** 2
    for coverage in alpha.sum(dim=(1, 2)):
        assert float(coverage) == pytest.approx(expected, rel=0.02)
    # edges are anti-aliased: fractional coverage exists, and the centre is fully covered
    assert bool(((alpha > 0.05) & (alpha < 0.95)).any()) and float(alpha[:, 32, 32].min()) == 1.0


def test_preprocessing_renders_only_this_process_share_and_resumes(tmp_path):
    config = _tiny(**{"data.source": "synthetic:6"})
    dataset = build_dataset(config, "train", tmp_path / "cache")
    cache, transform = ItemCache(tmp_path / "cache"), dataset.dataset.transform
    paths = [cache.path(cache.key(dataset.source_key(i), transform)) for i in range(6)]
    # rank 1 of 2 renders items 1, 3, 5 only
    stats = preprocess(dataset, DistContext(CPU, rank=1, world_size=2), progress=False)
    assert stats["shapes"] == 3
    assert [p.exists() for p in paths] == [False, True, False, True, False, True]
    # a run killed part-way (atomic writes: whole entries or none, plus a stray temp file) continues
    stamps = {i: paths[i].stat().st_mtime_ns for i in (1, 3)}
    paths[5].unlink()
    (paths[1].parent / f".{paths[1].name}.tmp-0123456789abcdef").write_bytes(b"partial")
    stats = preprocess(dataset, DistContext(CPU), progress=False)
    assert stats["shapes"] == 6 and all(p.exists() for p in paths)
    assert {i: paths[i].stat().st_mtime_ns for i in (1, 3)} == stamps  # found in the cache, not rendered again
    with pytest.raises(ConfigError, match="num_workers"):
        preprocess(dataset, DistContext(CPU), num_workers=-1, progress=False)


def test_preprocessing_in_worker_processes_fills_the_same_cache(tmp_path, monkeypatch):
    import os

    from kaolin_pipeline.train import view_data

    renders = tmp_path / "render_pids"
    real_render = view_data.render_pictures

    def render_and_record(*args, **kwargs):  # forked workers inherit the patch and append their pid
        with open(renders, "a") as handle:
            handle.write(f"{os.getpid()}\n")
        return real_render(*args, **kwargs)

    monkeypatch.setattr(view_data, "render_pictures", render_and_record)
    config = _tiny(**{"data.source": "synthetic:3"})
    dataset = build_dataset(config, "train", tmp_path / "cache")
    assert preprocess(dataset, DistContext(CPU), num_workers=2, progress=False)["shapes"] == 3
    pids = [int(line) for line in renders.read_text().split()]
    assert len(pids) == 3 and os.getpid() not in pids  # every shape rendered in a worker, none in the main process
    assert len(list((tmp_path / "cache").rglob("*.pt"))) == 3
    fresh = dataset.dataset[2]
    assert torch.equal(dataset[2]["views"], fresh["views"])


@pytest.mark.parametrize("num_items", [10, 7])
def test_process_shares_cover_the_dataset(num_items):
    shares = [list(share_sampler(num_items, DistContext(CPU, rank=r, world_size=3))) for r in range(3)]
    assert sorted(set(sum(shares, []))) == list(range(num_items))
    assert len({len(share) for share in shares}) == 1  # equal shares (padded), as DDP needs


def test_step_batches_of_processes_add_up_to_the_single_process_batch():
    num_items, batch, world = 12, 4, 2

    def stream(context, local, start=0):
        sampler = iter(StepSampler(num_items, context, seed=5, local_batch=local, start_step=start))
        return [[next(sampler) for _ in range(local)] for _ in range(10)]

    single = stream(DistContext(CPU), batch)
    ranks = [stream(DistContext(CPU, rank=r, world_size=world), batch // world) for r in range(world)]
    for step in range(10):  # crosses epoch boundaries (3 steps per epoch)
        assert sorted(ranks[0][step] + ranks[1][step]) == sorted(single[step])
    flat = sum(single, [])
    for epoch in range(3):
        assert sorted(flat[epoch * num_items:(epoch + 1) * num_items]) == list(range(num_items))
    assert flat[:num_items] != flat[num_items:2 * num_items]  # reshuffled every epoch
    # a resumed sampler reads what an uninterrupted one would
    assert stream(DistContext(CPU), batch, start=4)[:6] == single[4:]


def test_a_step_holds_only_its_batch_and_repeats_after_resume(tmp_path):
    config = _tiny(**{"data.source": "synthetic:5"})
    problem = ReconstructionProblem(config, DistContext(CPU))
    problem.train_set = build_dataset(config, "train", tmp_path / "cache")
    batches = [problem.batch(step) for step in (1, 2, 3)]
    assert all(b.shape == (2, 3, 32, 32, 4) and b.dtype == torch.uint8 for b in batches)
    assert torch.equal(problem.batch(2), batches[1])  # going back restarts the stream at that step
    problem.close()


@pytest.mark.slow
def test_training_lowers_the_loss_and_eval_reports_per_category(tmp_path):
    config = _tiny(steps=12)
    history = train(config, tmp_path, progress=False, finish=False)
    assert [row["step"] for row in history] == list(range(1, 13))
    first = sum(row["loss"] for row in history[:3]) / 3
    last = sum(row["loss"] for row in history[-3:]) / 3
    assert last < first
    assert len(read_metrics(tmp_path)) == 12
    result = evaluate(config, tmp_path, progress=False)
    assert set(result["per_category"]) == {"sphere", "cube", "cylinder"}
    assert result["mean"]["count"] == 3
    for row in result["per_category"].values():
        assert 0.0 <= row["voxel_iou"] <= 1.0 and 0.0 <= row["f_score_1"] <= 1.0
        assert 0.0 <= row["mask_iou"] <= 1.0
        # both renders share the black background, so the whole-image error is the foreground error diluted
        assert math.isfinite(row["psnr_foreground"]) and row["psnr"] > row["psnr_foreground"]
    mean_iou = sum(r["voxel_iou"] for r in result["per_category"].values()) / 3
    assert result["mean"]["voxel_iou"] == pytest.approx(mean_iou)
    assert json.loads((tmp_path / "eval.json").read_text())["mean"] == pytest.approx(result["mean"])
    shapes = json.loads((tmp_path / "eval.json").read_text())["shapes"]
    test_set = build_dataset(config, "test", tmp_path / "cache")
    assert shapes == [{"path": test_set[i]["path"], "category": test_set[i]["category"]} for i in range(3)]
    table = format_eval_table(result)
    assert table.splitlines()[0].split()[:3] == ["category", "count", "3D"] and "mean" in table
    assert "PSNR fg" in table.splitlines()[0]


def test_supervising_views_differ_from_the_input_view():
    generator = torch.Generator().manual_seed(0)
    inputs, targets = draw_views(generator, 500, 4, 3)
    assert inputs.shape == (500,) and targets.shape == (500, 3)
    assert int(targets.max()) <= 3 and int(inputs.max()) <= 3
    assert (targets != inputs.unsqueeze(1)).all()
    # the 3 supervising views are the 3 other views, each once
    assert torch.equal(targets.sort(dim=1).values.sum(dim=1), 6 - inputs)
    assert (targets[:, 0] != targets[:, 1]).all()
    with pytest.raises(ConfigError, match="views.supervise"):
        draw_views(generator, 2, 4, 4)


@pytest.mark.slow
def test_sigterm_to_the_process_group_still_saves_the_checkpoint(tmp_path):
    """Launchers stop a run by signalling its whole process group, DataLoader workers included."""
    import os
    import signal
    import subprocess
    import sys
    import time

    overrides = [f"{k}={json.dumps(v) if isinstance(v, list) else v}" for k, v in
                 {**TINY, "data.num_workers": 1, "steps": 100000, "log.checkpoint_every": 0}.items()]
    run_dir = tmp_path / "run"
    process = subprocess.Popen([sys.executable, "-m", "kaolin_pipeline", "train", "--out", str(run_dir), *overrides],
                               start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while not (run_dir / "metrics.csv").exists() or len(read_metrics(run_dir)) < 3:
        assert process.poll() is None and time.monotonic() < deadline, process.stderr.read().decode()
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGTERM)
    stderr = process.communicate(timeout=120)[1].decode()
    latest = json.loads((run_dir / "checkpoints" / "latest.json").read_text())
    assert (run_dir / "checkpoints" / latest["latest"]).is_file(), stderr
    assert "DataLoader worker" not in stderr
