"""Fixtures shared by every test folder.

``device``: a test that takes it runs once per device, ``cpu`` always and ``cuda`` when PyTorch sees a GPU
(skipped with a reason otherwise), so a CUDA check is the CPU test run again rather than a hand-written copy.
``pytest -k cuda`` selects the CUDA runs. ``accelerator``: only the devices other than the CPU (``cuda``, skipped
with a reason where there is none), for tests that compare a device's result with the CPU's.

Small meshes used by several files are in ``tests/helpers/small_meshes.py``.
"""
from __future__ import annotations

import pytest
import torch

ACCELERATORS = [pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"))]
DEVICES = ["cpu", *ACCELERATORS]


@pytest.fixture(params=DEVICES)
def device(request) -> str:
    """The device type to put a test's tensors and modules on: ``"cpu"`` or ``"cuda"``."""
    return request.param


@pytest.fixture(params=ACCELERATORS)
def accelerator(request) -> str:
    """A device type other than the CPU (``"cuda"``), for a result compared with the CPU's."""
    return request.param
