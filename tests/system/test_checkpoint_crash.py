"""A writer SIGKILLed at random moments never leaves a corrupt checkpoint behind.

Each trial forks a child that keeps saving few-MB checkpoints (a numbered
``step_N.pt`` and an overwritten ``current.pt``) into the same folder, and kills it
after a random delay. Every file that looks like a checkpoint must then load with
self-consistent content, ``current.pt`` must hold the old or a newer state, and
``latest_checkpoint`` must never return a temporary file.
"""
from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time

import pytest
import torch

from kaolin_pipeline.atomic import is_temporary_name
from kaolin_pipeline.export.checkpoint import (
    POINTER_NAME,
    checkpoint_name,
    latest_checkpoint,
    load_checkpoint,
    save_checkpoint,
)

PAYLOAD_FLOATS = 750_000  # 3 MB per checkpoint
TRIALS = 25


def _keep_saving(directory: str, first_step: int, ready) -> None:
    torch.set_num_threads(1)
    step = first_step
    ready.set()
    while True:
        payload = torch.full((PAYLOAD_FLOATS,), float(step))
        save_checkpoint(os.path.join(directory, checkpoint_name(step)), step=step, payload=payload)
        save_checkpoint(os.path.join(directory, "current.pt"), step=step, payload=payload)
        step += 1


def _load_consistent(path) -> int:
    state = load_checkpoint(path)
    assert state["payload"].shape == (PAYLOAD_FLOATS,)
    assert bool((state["payload"] == float(state["step"])).all()), f"{path}: mixed content"
    return int(state["step"])


@pytest.mark.slow
def test_sigkilled_writer_never_corrupts_checkpoints(tmp_path):
    context = multiprocessing.get_context("fork")
    rng = random.Random(2024)
    current_step, next_step, kills_with_temp_left = -1, 0, 0
    checked_steps: set[int] = set()
    for _ in range(TRIALS):
        ready = context.Event()
        child = context.Process(target=_keep_saving, args=(str(tmp_path), next_step, ready), daemon=True)
        child.start()
        assert ready.wait(10), "writer process did not start"
        time.sleep(rng.uniform(0.0, 0.12))
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        assert child.exitcode == -signal.SIGKILL

        names = os.listdir(tmp_path)
        kills_with_temp_left += any(is_temporary_name(name) for name in names)
        steps = {}
        for name in names:
            if name.endswith(".pt") and not is_temporary_name(name) and name != "current.pt":
                if name not in checked_steps:
                    steps[name] = _load_consistent(tmp_path / name)
                    assert name == checkpoint_name(steps[name])
        checked_steps.update(steps)
        if "current.pt" in names:
            step = _load_consistent(tmp_path / "current.pt")
            assert step >= current_step, "current.pt went back to an older state"
            current_step = step

        latest = latest_checkpoint(tmp_path)
        if latest is not None:
            assert not is_temporary_name(latest.name)
            newest = max(int(n[5:11]) for n in names if n.startswith("step_"))
            assert _load_consistent(latest) == newest
            (tmp_path / POINTER_NAME).unlink(missing_ok=True)
            assert latest_checkpoint(tmp_path) == latest  # the fallback scan agrees
            next_step = newest + 1
    assert checked_steps, "no checkpoint was ever completed; the kills came too early to test anything"
    print(f"{len(checked_steps)} checkpoints completed; {kills_with_temp_left}/{TRIALS} kills left a temporary file")
