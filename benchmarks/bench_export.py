"""Export timings: appending one Timelapse iteration as the log grows, and 50 MB checkpoint save/load.

Usage::

    .venv/bin/python benchmarks/bench_export.py [--quick] [--out benchmarks/results/bench_export.json]

Timelapse: a 10,000-face torus is logged with ``Timelapse.add_mesh_batch`` (faces
passed every time, as training does) at iterations 0, 1, 2, ...; the time to append
one iteration when N are already logged is the median of the appends at N-2 .. N+2.
Checkpoints: a 50 MiB state dict (10 tensors) saved with ``save_checkpoint``
(atomic: temp file, fsync, rename, pointer) and loaded with ``load_checkpoint``
(``weights_only=True``), next to bare ``torch.save`` / ``torch.load`` for scale;
median of a few repeats. ``--quick`` stops the Timelapse at N = 100.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List

import torch
import trimesh

from kaolin_pipeline.export.checkpoint import checkpoint_name, load_checkpoint, save_checkpoint
from kaolin_pipeline.export.timelapse import Timelapse

WINDOW = 2  # appends on each side of N that enter the median


def median_time(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def print_table(title: str, header: List[str], rows: List[List[object]]) -> None:
    print(f"\n{title}")
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    for line in [header, ["-" * w for w in widths]] + rows:
        print("  ".join(str(x).rjust(w) for x, w in zip(line, widths)))


def folder_megabytes(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def bench_timelapse(folder: Path, checkpoints: List[int]) -> List[Dict[str, object]]:
    torus = trimesh.creation.torus(major_radius=1.0, minor_radius=0.3, major_sections=100, minor_sections=50)
    vertices = torch.tensor(torus.vertices, dtype=torch.float32)
    faces = torch.tensor(torus.faces, dtype=torch.long)
    noise = torch.Generator().manual_seed(0)
    timelapse = Timelapse(folder)
    append_s, results = [], []
    for iteration in range(max(checkpoints) + WINDOW + 1):
        moved = vertices + 0.001 * torch.randn(vertices.shape, generator=noise)
        start = time.perf_counter()
        timelapse.add_mesh_batch(iteration=iteration, category="bench", vertices_list=[moved], faces_list=[faces])
        append_s.append(time.perf_counter() - start)
        done = iteration - WINDOW  # the N whose window just completed
        if done in checkpoints:
            window = append_s[max(0, done - WINDOW): done + WINDOW + 1]
            results.append({"logged_iterations": done, "faces": int(faces.shape[0]),
                            "append_ms_median": round(1000 * statistics.median(window), 2),
                            "append_ms_max": round(1000 * max(window), 2),
                            "log_megabytes": round(folder_megabytes(folder), 1)})
    print_table("Timelapse.add_mesh_batch, one 10k-face mesh per iteration",
                ["N logged", "faces", "append ms (median)", "append ms (max)", "log MB"],
                [[r["logged_iterations"], r["faces"], r["append_ms_median"], r["append_ms_max"], r["log_megabytes"]]
                 for r in results])
    return results


def bench_checkpoint(folder: Path, megabytes: int, repeats: int) -> Dict[str, object]:
    floats = megabytes * 2**20 // 4
    generator = torch.Generator().manual_seed(0)
    state = {f"layer{i}.weight": torch.randn(floats // 10, generator=generator) for i in range(10)}
    path = folder / checkpoint_name(1)
    plain = folder / "plain.pt"
    size_mb = sum(t.numel() * t.element_size() for t in state.values()) / 2**20
    result = {
        "state_megabytes": round(size_mb, 1),
        "save_checkpoint_s": median_time(lambda: save_checkpoint(path, model=state, step=1), repeats),
        "torch_save_s": median_time(lambda: torch.save({"model": state}, plain), repeats),
        "load_checkpoint_s": median_time(lambda: load_checkpoint(path), repeats),
        "torch_load_weights_only_s": median_time(lambda: torch.load(plain, weights_only=True), repeats),
        "repeats": repeats,
    }
    print_table(f"Checkpoint of a {size_mb:.0f} MiB state (median of {repeats})",
                ["operation", "seconds", "MiB/s"],
                [[name, f"{result[name]:.3f}", f"{size_mb / result[name]:.0f}"]
                 for name in ("save_checkpoint_s", "torch_save_s", "load_checkpoint_s", "torch_load_weights_only_s")])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Timelapse up to N = 100 only")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "bench_export.json")
    args = parser.parse_args()
    torch.set_num_threads(min(2, torch.get_num_threads()))
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        (scratch / "checkpoints").mkdir()
        report = {
            "machine": {"python": platform.python_version(), "torch": torch.__version__,
                        "processor": platform.processor() or platform.machine(), "threads": torch.get_num_threads()},
            "timelapse_append": bench_timelapse(scratch / "timelapse", [10, 100] if args.quick else [10, 100, 1000]),
            "checkpoint": bench_checkpoint(scratch / "checkpoints", megabytes=50, repeats=5),
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
