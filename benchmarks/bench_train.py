"""Training timings: seconds per iteration of ``fit`` and ``train`` by image size and batch,
the wall time ``fit`` needs to reach a held-out mask IoU of 0.95 on the demo target, and
``train`` at dataset scale: preprocessing throughput and peak memory on generated MeshFolders.

Usage::

    .venv/bin/python benchmarks/bench_train.py [--quick] [--scale 200,2000] [--only scale]
                                               [--out benchmarks/results/bench_train.json]

Prints one table per section and writes every number to the JSON file. A timed
iteration is a full optimiser update (render, loss, backward, Adam step), averaged
over a few iterations after one warm-up, on the device ``--device`` (default: auto).

The scale section writes N small procedural meshes (``save_mesh``, OBJ, one folder per
family) to a temporary folder, then, in a fresh process per N, runs ``train`` with
``data.source=<that folder>`` for a few steps: every shape rendered once into the cache by
DataLoader workers, then training reads one batch at a time. It reports the
preprocessing throughput (shapes/s) and the peak resident memory of the main process
and of the largest worker, which must not grow with N.
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from kaolin_pipeline.train.config import load_config
from kaolin_pipeline.train.distributed import DistContext, resolve_device
from kaolin_pipeline.train.evaluate import image_metrics
from kaolin_pipeline.train.fit import FitProblem, prepare_target
from kaolin_pipeline.datasets.synthetic import FAMILIES, item_generator, make_shape
from kaolin_pipeline.io import save_mesh
from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.train.reconstruct import ReconstructionProblem, prepare_splits, train
from kaolin_pipeline.train.view_data import build_dataset

SCALE_OVERRIDES = {"device": "cpu", "views.image_size": 32, "views.num_views": 8,
                   "views.supersample": 2, "data.num_workers": 2, "optim.batch_size": 16, "steps": 5,
                   "log.checkpoint_every": 0, "log.timelapse_every": 0}


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
            config = load_config("demo", overrides={"views.image_size": size, "optim.batch_size": batch,
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
        overrides = {"views.image_size": size, "views.num_views": 8, "data.source": "synthetic:8", "device": str(device)}
        for batch in batches:
            config = load_config("reconstruct", overrides={**overrides, "optim.batch_size": batch})
            problem = ReconstructionProblem(config, DistContext(device))
            problem.train_set = build_dataset(config, "train", cache_dir / str(size))
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


def write_mesh_folder(root: Path, count: int) -> None:
    """``count`` untextured procedural meshes ``<family>/<i>.obj`` under ``root``."""
    for index in range(count):
        family = FAMILIES[index % len(FAMILIES)]
        mesh = make_shape(family, item_generator(7, index))
        save_mesh(root / family / f"{index:05d}.obj", Mesh(mesh.vertices, mesh.faces))


def _peak_rss_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def scale_worker(root: Path, run_dir: Path) -> dict:
    """(Run in a fresh process) preprocess the folder, then train a few steps; timings and peak memory."""
    config = load_config("reconstruct", overrides={**SCALE_OVERRIDES, "data.source": str(root)})
    context = DistContext(torch.device("cpu"))
    start = time.perf_counter()
    train_set, test_set, _ = prepare_splits(config, run_dir, context, progress=False)
    preprocess_seconds = time.perf_counter() - start
    rss_after_preprocess = _peak_rss_mib(resource.RUSAGE_SELF)
    start = time.perf_counter()
    history = train(config, run_dir, progress=False, finish=False)  # finds every view in the cache
    train_seconds = time.perf_counter() - start
    shapes = len(train_set) + len(test_set)
    return {"shapes": shapes, "train_shapes": len(train_set), "preprocess_seconds": preprocess_seconds,
            "shapes_per_second": shapes / preprocess_seconds, "steps": len(history),
            "train_call_seconds": train_seconds,
            "peak_rss_mib_main_after_preprocess": rss_after_preprocess,
            "peak_rss_mib_main": _peak_rss_mib(resource.RUSAGE_SELF),
            "peak_rss_mib_largest_worker": _peak_rss_mib(resource.RUSAGE_CHILDREN)}


def bench_scale(counts) -> list[dict]:
    """The scale section: one fresh process per shape count (so peak memory is its own)."""
    rows = []
    print(f"\n{'shapes':>7} {'preprocess s':>13} {'shapes/s':>9} {'train call s':>13} {'peak RSS main MiB':>18} "
          f"{'largest worker MiB':>19}")
    for count in counts:
        with tempfile.TemporaryDirectory(prefix="bench_scale_") as folder:
            root = Path(folder) / "meshes"
            write_mesh_folder(root, count)
            result = subprocess.run([sys.executable, __file__, "--scale-worker", str(root), str(Path(folder) / "run")],
                                    check=True, capture_output=True, text=True)
            row = json.loads(result.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(f"{row['shapes']:>7} {row['preprocess_seconds']:>13.1f} {row['shapes_per_second']:>9.1f} "
              f"{row['train_call_seconds']:>13.1f} {row['peak_rss_mib_main']:>18.0f} "
              f"{row['peak_rss_mib_largest_worker']:>19.0f}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes and iterations")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "bench_train.json")
    parser.add_argument("--scale", default="200,2000", help="comma-separated MeshFolder sizes of the scale section")
    parser.add_argument("--only", choices=["timings", "scale"], help="run one section")
    parser.add_argument("--scale-worker", nargs=2, type=Path, metavar=("ROOT", "RUN_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale_worker:
        print(json.dumps(scale_worker(*args.scale_worker)))
        return
    device = resolve_device(args.device)
    iterations = 3 if args.quick else 10
    report = {"machine": {"python": platform.python_version(), "torch": torch.__version__, "device": str(device),
                          "threads": torch.get_num_threads()}}
    if args.only != "scale":
        print(f"{'recipe':<6} {'size':>5} {'batch':>6} {'s/iter':>10}")
        report["fit"] = bench_fit((32, 64) if args.quick else (32, 64, 128), (1, 2, 4), iterations, device)
        report["train"] = bench_train((32, 64), (4, 8) if args.quick else (4, 8, 16), iterations, device,
                                      Path(args.out).parent / "bench_train_cache")
        reach = report["time_to_mask_iou"] = time_to_mask_iou(0.95, 300, 10, device)
        print(f"\nfit (demo config) reaches held-out mask IoU {reach['threshold']}: "
              f"{'yes' if reach['reached'] else 'no'} after {reach['steps']} steps, {reach['seconds']:.1f} s of "
              f"training (IoU {reach['mask_iou']:.3f})")
    if args.only != "timings":
        report["scale"] = {"config": SCALE_OVERRIDES, "rows": bench_scale(int(n) for n in args.scale.split(","))}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
