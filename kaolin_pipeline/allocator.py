"""Keep freed memory in the process, so a training loop's large tensors reuse pages instead of faulting in new ones.

glibc's ``malloc`` maps every block above its threshold (32 MiB at most, by default) with ``mmap`` and unmaps it when
freed, and returns the heap's free top to the system past 128 KiB. A loop that allocates and frees the same large
activations every step then has the kernel zero every page again: a 5-layer MLP on 277k points (Kaolin's DMTet
tutorial) takes about 700,000 page faults per step, a third of the step's time in the kernel
(``benchmarks/bench_allocator.py``). Raising both thresholds keeps the pages; it is the caching that jemalloc and
tcmalloc do, and that PyTorch's ``torch.backends.xeon.run_cpu`` launcher sets up through them. The cost is that the
process holds its peak memory.
"""
from __future__ import annotations

import ctypes
import platform

# mallopt parameters, from glibc's <malloc.h>
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_KEEP_BELOW = 2**31 - 1  # mallopt takes an int: blocks up to 2 GiB come from the heap, and its top is never trimmed


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds for this process; ``True`` where both took effect.

    A no-op returning ``False`` where the C library is not glibc (macOS, Windows, musl).
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(None)  # the running process's symbols, glibc's among them
    return all(libc.mallopt(option, _KEEP_BELOW) == 1 for option in (_M_MMAP_THRESHOLD, _M_TRIM_THRESHOLD))
