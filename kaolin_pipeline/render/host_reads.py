"""Count the operations that make the host wait for the device (a GPU "host synchronisation").

On a GPU, an operation whose output shape depends on tensor values (``nonzero``, boolean-mask
indexing, ``unique``...) or that hands a value to Python (``.item()``, ``int(t)``, ``bool(t)``,
a copy to the CPU) stalls the launch queue until the device catches up. The renderer keeps them
to a fixed handful per call, however many chunks the binning makes; :class:`HostReadCounter`
counts them on any device (CPU included) by watching the dispatched ATen operations.

``tensor.tolist()`` dispatches nothing, so it cannot be seen; the renderer reads the host
through :func:`kaolin_pipeline.render.binning.host_ints`, whose explicit copy is counted.
"""
from __future__ import annotations

import collections

import torch
from torch.utils._python_dispatch import TorchDispatchMode

# Operations whose output shape depends on values, or that return a Python value.
_ALWAYS = ("nonzero", "nonzero_numpy", "argwhere", "_local_scalar_dense", "item", "is_nonzero", "equal",
           "masked_select", "bincount", "unique", "_unique", "_unique2", "unique_dim", "unique_consecutive",
           "unique_dim_consecutive", "histc")


def _device_of(value):
    return value.device if isinstance(value, torch.Tensor) else None


def _is_host_read(func, args, kwargs) -> bool:
    name = func.overloadpacket.__name__
    if name in _ALWAYS:
        return True
    if name in ("index", "index_put", "index_put_", "_index_put_impl_"):
        indices = args[1] if len(args) > 1 else kwargs.get("indices", ())
        return any(isinstance(i, torch.Tensor) and i.dtype in (torch.bool, torch.uint8) for i in indices or ())
    if name == "where":
        return len(args) + len(kwargs) == 1  # where(condition) is nonzero
    if name == "repeat_interleave":
        return isinstance(args[0], torch.Tensor) and args[0].dim() > 0 and kwargs.get("output_size") is None \
            and len(args) == 1
    if name == "_to_copy":
        target = kwargs.get("device")
        source = _device_of(args[0])
        return target is not None and (torch.device(target).type == "cpu" or torch.device(target) != source)
    if name == "copy_":
        return _device_of(args[0]) != _device_of(args[1])
    return False


class HostReadCounter(TorchDispatchMode):
    """Context manager counting host synchronisations by ATen operation name.

    Example::

        with HostReadCounter() as counter:
            loss = renderer(mesh, cameras=cameras)["soft_mask"].sum()
            loss.backward()
        counter.total, counter.by_op   # e.g. 4, Counter({'nonzero': 1, '_to_copy': 2, ...})
    """

    def __init__(self) -> None:
        super().__init__()
        self.by_op: collections.Counter = collections.Counter()

    @property
    def total(self) -> int:
        return sum(self.by_op.values())

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if _is_host_read(func, args, kwargs):
            self.by_op[func.overloadpacket.__name__] += 1
        return func(*args, **kwargs)
