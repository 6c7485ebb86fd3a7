"""A writer killed with SIGKILL mid-append leaves every file readable and every completed iteration intact."""
import multiprocessing
import os
import random
import signal
import time

import pytest
import torch

from kaolin_pipeline.export.timelapse import Timelapse, TimelapseReader

TRIALS = 4
FACES = torch.tensor([[0, 1, 2], [0, 2, 3], [0, 3, 1], [1, 3, 2]])


def vertices_at(iteration: int) -> torch.Tensor:
    return torch.arange(12, dtype=torch.float32).reshape(4, 3) + iteration


def keep_appending(log_dir: str, completed) -> None:
    """Child process: append iterations forever, publishing each one only after add_*_batch returned."""
    timelapse = Timelapse(log_dir)
    iteration = completed.value + 1
    while True:
        timelapse.add_mesh_batch(iteration=iteration, category="run", vertices_list=[vertices_at(iteration)],
                                 faces_list=[FACES], materials_list=[torch.full((3, 2, 2), 0.5)])
        timelapse.add_pointcloud_batch(iteration=iteration, category="run", pointcloud_list=[vertices_at(iteration)])
        completed.value = iteration
        iteration += 1


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
def test_sigkill_during_appends_keeps_completed_iterations(tmp_path):
    context = multiprocessing.get_context("fork")
    completed = context.Value("i", -1)
    rng = random.Random(0)
    for _ in range(TRIALS):  # every trial resumes the same log, as a restarted training run would
        child = context.Process(target=keep_appending, args=(str(tmp_path), completed))
        child.start()
        time.sleep(rng.uniform(0.3, 1.2))
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        assert child.exitcode == -signal.SIGKILL

        reader = TimelapseReader(tmp_path)
        assert completed.value >= 0, "the child never completed an iteration"
        for kind in ("mesh", "pointcloud"):
            logged = reader.iterations("run", kind, 0)
            assert set(range(completed.value + 1)) <= set(logged), kind
        for iteration in reader.iterations("run", "mesh", 0):
            assert torch.equal(reader.mesh("run", 0, iteration).vertices, vertices_at(iteration))
        for iteration in reader.iterations("run", "pointcloud", 0):
            assert torch.equal(reader.pointcloud("run", 0, iteration).points, vertices_at(iteration))
