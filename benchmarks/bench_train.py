"""Training timings: seconds per iteration of ``fit`` and ``train`` by image size and batch,
and the wall time ``fit`` needs to reach a held-out mask IoU of 0.95 on the demo target.

Usage::

    .venv/bin/python benchmarks/bench_train.py [--quick] [--out benchmarks/results/bench_train.json]

Prints one table per section and writes every number to the JSON file. A timed
iteration is a full optimiser update (render, loss, backward, Adam step), averaged
over a few iterations after one warm-up, on the device ``--device`` (default: auto).
"""
from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch

from kaolin_pipeline.train.config import load_config
from kaolin_pipeline.train.distributed import DistContext, resolve_device
from kaolin_pipeline.train.evaluate import image_metrics
from kaolin_pipeline.train.fit import FitProblem, prepare_target
from kaolin_pipeline.train.reconstruct import ReconstructionProblem, ViewBank, build_dataset


def seconds_per_iteration(loss_fn, optimizer, iterations: int) -> float:
    """Mean wall time of an optimiser update after one warm-up update."""
    def update(step):
        optimizer.zero_grad(set_to_none=True)
        loss_fn(step)["loss"].backward()
        optimizer.step()

    update(0)
    start = time.perf_counter()
    for step in range(1, iterations + 1):
        update(step)
    return (time.perf_counter() - start) / iterations


def bench_fit(sizes, batches, iterations, device) -> list[dict]:
    rows = []
    for size in sizes:
        for batch in batches:
            config = load_config("demo", overrides={"views.image_size": size, "views.batch_size": batch,
                                                    "device": str(device)})
            problem = FitProblem(config, prepare_target(config, device), device)
            optimizer, _ = problem.optimizer()
            rows.append({"image_size": size, "batch": batch,
                         "seconds_per_iteration": seconds_per_iteration(problem.losses, optimizer, iterations)})
            print(f"fit    {size:>5} {batch:>6} {rows[-1]['seconds_per_iteration']:>10.3f}")
    return rows


def bench_train(sizes, batches, iterations, device, cache_dir: Path) -> list[dict]:
    rows = []
    for size in sizes:
        overrides = {"views.image_size": size, "views.num_views": 4, "data.num_train": 8, "device": str(device)}
        config = load_config("reconstruct", overrides=overrides)
        bank = ViewBank.load(build_dataset(config, "train", cache_dir / str(size)), device, progress=False)
        for batch in batches:
            config = load_config("reconstruct", overrides={**overrides, "optim.batch_size": batch})
            problem = ReconstructionProblem(config, DistContext(device))
            problem.bank = bank
            optimizer, _ = problem.optimizer()
            rows.append({"image_size": size, "batch": batch, "supervised_views": config["views"]["supervise"],
                         "seconds_per_iteration": seconds_per_iteration(problem.losses, optimizer, iterations)})
            print(f"train  {size:>5} {batch:>6} {rows[-1]['seconds_per_iteration']:>10.3f}")
    return rows


def time_to_mask_iou(threshold: float, max_steps: int, check_every: int, device) -> dict:
    """Training wall time (evaluation excluded) until the held-out mask IoU of the demo fit reaches ``threshold``."""
    config = load_config("demo", overrides={"device": str(device)})
    torch.manual_seed(config["seed"])
    problem = FitProblem(config, prepare_target(config, device), device)
    optimizer, scheduler = problem.optimizer()
    heldout, trained = problem.target.heldout, 0.0
    for step in range(1, max_steps + 1):
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        problem.losses(step)["loss"].backward()
        optimizer.step()
        scheduler.step()
        trained += time.perf_counter() - start
        if step % check_every == 0:
            with torch.no_grad():
                out = problem.render(heldout.cameras)
                masks = (out["face_idx"] >= 0).float()
                iou = image_metrics(out["image"], masks, heldout.images, heldout.masks)["mask_iou"]
            if iou >= threshold:
                return {"threshold": threshold, "reached": True, "steps": step, "seconds": trained, "mask_iou": iou}
    return {"threshold": threshold, "reached": False, "steps": max_steps, "seconds": trained, "mask_iou": iou}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes and iterations")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "bench_train.json")
    args = parser.parse_args()
    device = resolve_device(args.device)
    iterations = 3 if args.quick else 10
    print(f"{'recipe':<6} {'size':>5} {'batch':>6} {'s/iter':>10}")
    fit_rows = bench_fit((32, 64) if args.quick else (32, 64, 128), (1, 2, 4), iterations, device)
    train_rows = bench_train((32, 64), (4, 8) if args.quick else (4, 8, 16), iterations, device,
                             Path(args.out).parent / "bench_train_cache")
    reach = time_to_mask_iou(0.95, 300, 10, device)
    print(f"\nfit (demo config) reaches held-out mask IoU {reach['threshold']}: "
          f"{'yes' if reach['reached'] else 'no'} after {reach['steps']} steps, {reach['seconds']:.1f} s of training "
          f"(IoU {reach['mask_iou']:.3f})")
    report = {"machine": {"python": platform.python_version(), "torch": torch.__version__, "device": str(device),
                          "threads": torch.get_num_threads()},
              "fit": fit_rows, "train": train_rows, "time_to_mask_iou": reach}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
