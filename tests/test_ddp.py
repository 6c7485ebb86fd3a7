"""DistributedDataParallel on 2 CPU processes (gloo): same result as one process with the same global batch,
and the default ``norm: batch`` without SyncBatchNorm (gloo has none on CPU)."""
import json
import os
import socket
import warnings

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from kaolin_pipeline.export.checkpoint import latest_checkpoint, load_checkpoint
from kaolin_pipeline.train.config import load_config
from kaolin_pipeline.train.distributed import DistContext, sync_batchnorm_supported, wrap_model
from kaolin_pipeline.train.models import ReconstructionNet
from kaolin_pipeline.train.reconstruct import train
from kaolin_pipeline.ops.icosphere import icosphere

TINY = {
    "device": "cpu", "steps": 3, "data.source": "synthetic:4", "data.num_test": 1, "data.families": ["sphere", "cube"],
    "views.num_views": 3, "views.image_size": 32, "views.supervise": 2, "views.supersample": 1,
    "template.subdivisions": 1, "model.channels": [4, 8, 8], "model.hidden": 32, "model.norm": "group",
    "optim.batch_size": 4, "optim.lr": 1e-3, "log.checkpoint_every": 0, "log.timelapse_every": 0,
    "data.num_workers": 0,
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _join(rank: int, world_size: int, port: int) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(world_size), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)


def _train_worker(rank: int, world_size: int, port: int, run_dir: str, overrides: dict, log_dir: str) -> None:
    _join(rank, world_size, port)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            train(load_config("reconstruct", overrides=overrides), run_dir, progress=False, finish=False)
        with open(os.path.join(log_dir, f"warnings_{rank}.json"), "w") as handle:
            json.dump([str(w.message) for w in caught], handle)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def _parameters(run_dir):
    return load_checkpoint(latest_checkpoint(run_dir / "checkpoints"))["model"]


def _spawn_train(tmp_path, name, overrides):
    mp.spawn(_train_worker, args=(2, _free_port(), str(tmp_path / name), overrides, str(tmp_path)), nprocs=2,
             join=True)


@pytest.mark.slow
def test_two_gloo_processes_match_one_process(tmp_path, monkeypatch):
    overrides = {**TINY, "data.cache_dir": str(tmp_path / "cache")}
    _spawn_train(tmp_path, "ddp", overrides)
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    train(load_config("reconstruct", overrides=overrides), tmp_path / "single", progress=False, finish=False)
    ddp, single = _parameters(tmp_path / "ddp"), _parameters(tmp_path / "single")
    assert ddp.keys() == single.keys()
    for name in single:
        assert torch.allclose(ddp[name], single[name], rtol=1e-4, atol=1e-5), name
    # and training did move them away from the seeded initial weights
    torch.manual_seed(0)
    initial = ReconstructionNet(icosphere(1)[0] * 0.5, image_size=32, channels=(4, 8, 8), hidden=32,
                                norm="group").state_dict()
    assert max(float((single[n] - initial[n]).abs().max()) for n in initial) > 1e-3
    # only rank 0 wrote files (views/ of the last step; no final/ nor report without finish); the two
    # processes rendered the 4 + 1 shapes once, into one cache
    assert sorted(p.name for p in (tmp_path / "ddp").iterdir()) == ["checkpoints", "config.yaml", "metrics.csv",
                                                                     "views"]
    assert len(list((tmp_path / "cache").rglob("*.pt"))) == 5


def _batchnorm_worker(rank: int, world_size: int, port: int, out_dir: str, overrides: dict) -> None:
    """One SGD step of a DDP-wrapped BatchNorm net on this rank's half of a batch, then a short ``train``."""
    _join(rank, world_size, port)
    dist.init_process_group("gloo")
    try:
        net, images = _seeded_net_and_images()
        model = wrap_model(net, DistContext(torch.device("cpu"), rank, world_size))
        _sgd_step(model, [images.chunk(world_size)[rank]])
        torch.save(net.state_dict(), os.path.join(out_dir, f"rank_{rank}.pt"))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            train(load_config("reconstruct", overrides=overrides), os.path.join(out_dir, "ddp"), progress=False,
                  finish=False)
        with open(os.path.join(out_dir, f"warnings_{rank}.json"), "w") as handle:
            json.dump([str(w.message) for w in caught], handle)
    finally:
        dist.destroy_process_group()


def _seeded_net_and_images():
    torch.manual_seed(0)
    net = ReconstructionNet(icosphere(1)[0], image_size=16, channels=(4, 8), hidden=16, norm="batch")
    return net, torch.rand(8, 4, 16, 16, generator=torch.Generator().manual_seed(1))


def _sgd_step(model, parts):
    """One SGD step on the mean over ``parts`` of each part's loss (BatchNorm statistics per part)."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    losses = []
    for images in parts:
        vertices, colors = model(images)
        losses.append(vertices.square().mean() + (colors * torch.linspace(0, 1, 3)).mean())
    (sum(losses) / len(losses)).backward()
    optimizer.step()


@pytest.mark.slow
def test_default_batch_norm_under_gloo_normalises_each_process_share(tmp_path):
    """Reference: one process, BatchNorm statistics of each half of the batch, gradients averaged."""
    overrides = {**TINY, "model.norm": "batch", "steps": 2, "data.cache_dir": str(tmp_path / "cache")}
    mp.spawn(_batchnorm_worker, args=(2, _free_port(), str(tmp_path), overrides), nprocs=2, join=True)
    ranks = [torch.load(tmp_path / f"rank_{r}.pt", weights_only=True) for r in range(2)]
    net, images = _seeded_net_and_images()
    _sgd_step(net, list(images.chunk(2)))
    per_share = net.state_dict()
    global_net, _ = _seeded_net_and_images()
    _sgd_step(global_net, [images])
    weight = "encoder.0.weight"
    assert not torch.allclose(global_net.state_dict()[weight], per_share[weight], atol=1e-6)  # the test can tell
    for name, value in per_share.items():
        if "running" in name or "num_batches" in name:
            continue
        for state in ranks:
            assert torch.allclose(state[name], value, rtol=1e-5, atol=1e-6), name
    # the recipe with its default norm trains under gloo and says that BatchNorm is per process
    for rank in range(2):
        messages = json.loads((tmp_path / f"warnings_{rank}.json").read_text())
        assert any("no SyncBatchNorm" in m and "model.norm=group" in m for m in messages), messages
    state = _parameters(tmp_path / "ddp")
    assert int(state["encoder.1.num_batches_tracked"]) == 2 and torch.isfinite(state["encoder.1.running_var"]).all()


def test_sync_batchnorm_only_where_pytorch_has_it():
    assert sync_batchnorm_supported(DistContext(torch.device("cuda", 0), rank=0, world_size=2))
    assert not sync_batchnorm_supported(DistContext(torch.device("cpu"), rank=0, world_size=2))
    assert not sync_batchnorm_supported(DistContext(torch.device("cuda", 0)))
    net = torch.nn.Sequential(torch.nn.BatchNorm1d(3))
    assert wrap_model(net, DistContext(torch.device("cpu"))) is net  # a single process is left alone
