"""What ``allocator.keep_freed_memory`` saves: one training step of the DMTet tutorial's network, with and without it.

Usage::

    .venv/bin/python benchmarks/bench_allocator.py [--points 277410] [--steps 5] [--out benchmarks/results/bench_allocator.json]

The network is the tutorial's shape (positional encoding to 15 inputs, five hidden layers of 128, 4 outputs, no
biases) on random grid points; each setting runs in its own process, since the allocator setting is process-wide.
Prints seconds and minor page faults per step (the best and the mean of ``--steps`` after one warm-up step) and writes
them to the JSON file.
"""
from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from pathlib import Path

STEP = """
import json, resource, sys, time, torch
from kaolin_pipeline.allocator import keep_freed_memory
kept = keep_freed_memory() if sys.argv[1] == "kept" else False
points, steps = int(sys.argv[2]), int(sys.argv[3])
torch.manual_seed(0)
layers = [torch.nn.Linear(15, 128, bias=False), torch.nn.ReLU()]
for _ in range(4):
    layers += [torch.nn.Linear(128, 128, bias=False), torch.nn.ReLU()]
net = torch.nn.Sequential(*layers, torch.nn.Linear(128, 4, bias=False))
grid = torch.rand(points, 3) - 0.5
def step():
    encoded = torch.cat([grid, torch.sin(grid), torch.cos(grid), torch.sin(2 * grid), torch.cos(2 * grid)], -1)
    net(encoded).square().mean().backward()
step()
seconds, faults = [], []
for _ in range(steps):
    before, start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.perf_counter()
    step()
    seconds.append(time.perf_counter() - start)
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(json.dumps({"kept": kept, "best_s": min(seconds), "mean_s": sum(seconds) / steps,
                  "page_faults_per_step": sum(faults) / steps}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=277410, help="grid points (the tutorial's 128 grid: 277,410)")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "bench_allocator.json")
    args = parser.parse_args()
    rows = {}
    for setting in ("default", "kept"):
        done = subprocess.run([sys.executable, "-c", STEP, setting, str(args.points), str(args.steps)],
                              capture_output=True, text=True, check=True)
        rows[setting] = json.loads(done.stdout)
    print(f"{'malloc':<10}{'best s':>9}{'mean s':>9}{'faults/step':>13}")
    for setting, row in rows.items():
        print(f"{setting:<10}{row['best_s']:>9.3f}{row['mean_s']:>9.3f}{row['page_faults_per_step']:>13,.0f}")
    report = {"machine": platform.platform(), "points": args.points, "steps": args.steps, **rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
