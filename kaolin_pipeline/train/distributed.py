"""Device choice and DistributedDataParallel set-up for runs launched by ``torchrun``.

A plain ``python``/``kaolin-pipeline`` process is a world of one. Under ``torchrun``
(``WORLD_SIZE`` > 1 in the environment) each process joins the process group
(NCCL on CUDA, gloo on CPU), drives ``cuda:LOCAL_RANK`` when CUDA is used, takes its
share of every global batch, and only rank 0 writes files.
"""
from __future__ import annotations

import dataclasses
import os
import warnings

import torch
import torch.distributed as dist
from torch import nn

from kaolin_pipeline.errors import ConfigError

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str) -> torch.device:
    """``"auto"`` -> CUDA when available else CPU; ``"cuda"``/``"cuda:N"`` checked to exist."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError(f"device '{name}' requested but CUDA is not available (use --device cpu or auto)")
        return torch.device(name)
    raise ConfigError(f"device must be one of {DEVICES} (or cuda:N), got '{name}'")


@dataclasses.dataclass(frozen=True)
class DistContext:
    """Where this process stands in a (possibly single-process) run."""

    device: torch.device
    rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def init_distributed(device: str = "auto") -> DistContext:
    """Join the ``torchrun`` process group if there is one; return this process's context."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    chosen = resolve_device(device)
    if world_size <= 1:
        return DistContext(chosen)
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if chosen.type == "cuda":
        chosen = torch.device("cuda", local_rank)
        torch.cuda.set_device(chosen)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if chosen.type == "cuda" else "gloo")
    return DistContext(chosen, rank, world_size)


def sync_batchnorm_supported(context: DistContext) -> bool:
    """Whether ``nn.SyncBatchNorm`` can run here: PyTorch implements it for CUDA tensors (NCCL), not for gloo on CPU."""
    return context.distributed and context.device.type == "cuda"


def wrap_model(model: nn.Module, context: DistContext) -> nn.Module:
    """``model`` itself, or a DistributedDataParallel wrapper in a distributed run.

    BatchNorm layers become ``SyncBatchNorm`` (statistics over the global batch) on CUDA.
    gloo on CPU has no ``SyncBatchNorm``: each process then normalises with the statistics
    of its own share of the batch (``batch_size / world_size`` samples), the running
    statistics follow rank 0 (DDP broadcasts buffers), and a warning says so.
    """
    if not context.distributed:
        return model
    if sync_batchnorm_supported(context):
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        return nn.parallel.DistributedDataParallel(model, device_ids=[context.device.index])
    if any(isinstance(module, nn.modules.batchnorm._BatchNorm) for module in model.modules()):
        warnings.warn(f"DDP on {context.device.type} (gloo) has no SyncBatchNorm: BatchNorm layers normalise each "
                      f"process's share of the batch ({context.world_size} processes) instead of the global batch; "
                      f"use model.norm=group for results that do not depend on the number of processes",
                      RuntimeWarning, stacklevel=2)
    return nn.parallel.DistributedDataParallel(model)


def unwrap_model(model: nn.Module) -> nn.Module:
    """The module inside a DistributedDataParallel wrapper (or ``model`` itself)."""
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def global_mean(value: torch.Tensor, context: DistContext) -> torch.Tensor:
    """The mean of a scalar over all processes (``value`` itself in a single process)."""
    if not context.distributed:
        return value
    total = value.detach().clone()
    dist.all_reduce(total)
    return total / context.world_size
