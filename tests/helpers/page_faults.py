"""Pages a training loop faults in once it runs steadily, for the allocator tests.

The loop: a small MLP's forward and backward on 100k points (its activations, 51 MB each, are above glibc's largest
default mmap threshold), 8 steps, counting the minor page faults of the last 4. Plain glibc unmaps and maps the
activations again every step: about 100k faults a step.
"""
from __future__ import annotations

import subprocess
import sys

TRAINING_LOOP = """
import resource, torch
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(3, 128), torch.nn.ReLU(), torch.nn.Linear(128, 128), torch.nn.ReLU(),
                          torch.nn.Linear(128, 1))
points = torch.rand(100000, 3)
def page_faults_of_a_step():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    net(points).square().mean().backward()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print(sum([page_faults_of_a_step() for _ in range(8)][4:]))
"""


def steady_page_faults(prelude: str = "") -> int:
    """Page faults of the loop's last 4 steps in a fresh Python that first runs ``prelude``."""
    done = subprocess.run([sys.executable, "-c", prelude + TRAINING_LOOP], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])
