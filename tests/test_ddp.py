"""DistributedDataParallel: 2 CPU processes (gloo) match one process with the same global batch."""
import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from kaolin_pipeline.export.checkpoint import latest_checkpoint, load_checkpoint
from kaolin_pipeline.train.config import load_config
from kaolin_pipeline.train.models import ReconstructionNet
from kaolin_pipeline.train.reconstruct import train
from kaolin_pipeline.train.template import icosphere

TINY = {
    "device": "cpu", "steps": 3, "data.num_train": 4, "data.num_test": 1, "data.families": ["sphere", "cube"],
    "views.num_views": 3, "views.image_size": 32, "views.supervise": 2, "model.subdivisions": 1,
    "model.channels": [4, 8, 8], "model.hidden": 32, "model.norm": "group", "optim.batch_size": 4,
    "optim.lr": 1e-3, "log.checkpoint_every": 0, "log.timelapse_every": 0,
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _worker(rank: int, world_size: int, port: int, run_dir: str, cache_dir: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(world_size), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    try:
        train(load_config("reconstruct", overrides={**TINY, "data.cache_dir": cache_dir}), run_dir,
              progress=False, finish=False)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def _parameters(run_dir):
    return load_checkpoint(latest_checkpoint(run_dir / "checkpoints"))["model"]


@pytest.mark.slow
def test_two_gloo_processes_match_one_process(tmp_path, monkeypatch):
    cache = str(tmp_path / "cache")
    mp.spawn(_worker, args=(2, _free_port(), str(tmp_path / "ddp"), cache), nprocs=2, join=True)
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    train(load_config("reconstruct", overrides={**TINY, "data.cache_dir": cache}), tmp_path / "single",
          progress=False, finish=False)
    ddp, single = _parameters(tmp_path / "ddp"), _parameters(tmp_path / "single")
    assert ddp.keys() == single.keys()
    for name in single:
        assert torch.allclose(ddp[name], single[name], rtol=1e-4, atol=1e-5), name
    # and training did move them away from the seeded initial weights
    torch.manual_seed(0)
    initial = ReconstructionNet(icosphere(1)[0] * 0.5, image_size=32, channels=(4, 8, 8), hidden=32,
                                norm="group").state_dict()
    assert max(float((single[n] - initial[n]).abs().max()) for n in initial) > 1e-3
    # only rank 0 wrote files
    assert sorted(p.name for p in (tmp_path / "ddp").iterdir()) == ["checkpoints", "config.yaml", "metrics.csv"]
