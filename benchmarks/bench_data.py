"""Data pipeline timings: mesh loading vs bare trimesh, cached epochs, sampling, voxelisation, chamfer.

Usage::

    .venv/bin/python benchmarks/bench_data.py [--quick] [--out benchmarks/results/bench_data.json]

Prints one table per section and writes every number to the JSON file. Times are
the best of a few repeats, in seconds, on the CPU.
"""
from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List

import torch
import trimesh
from scipy.spatial import cKDTree

from kaolin_pipeline.datasets.folders import MeshFolder
from kaolin_pipeline.io.mesh import load_mesh
from kaolin_pipeline.datasets.transforms import Compose, Normalize, SamplePoints, Voxelize
from kaolin_pipeline.ops.conversions import mesh_to_voxelgrid
from kaolin_pipeline.ops.metrics import chamfer_distance
from kaolin_pipeline.ops.sampling import sample_points


def best_time(fn: Callable[[], object], repeats: int) -> float:
    """Smallest wall time of ``repeats`` calls of ``fn``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def sphere_with_faces(target_faces: int) -> trimesh.Trimesh:
    """UV sphere with about ``target_faces`` faces (trimesh gives 4 * rows * columns for count [rows, columns])."""
    rows = max(4, int(round((target_faces / 8) ** 0.5)))
    return trimesh.creation.uv_sphere(count=[rows, 2 * rows])


def print_table(title: str, header: List[str], rows: List[List[object]]) -> None:
    print(f"\n{title}")
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    for line in [header, ["-" * w for w in widths]] + rows:
        print("  ".join(str(x).rjust(w) for x, w in zip(line, widths)))


def bench_loading(folder: Path, sizes: List[int], obj_limit: int) -> List[Dict[str, object]]:
    results = []
    for target in sizes:
        tm = sphere_with_faces(target)
        for ext in ("obj", "ply", "stl", "glb"):
            if ext == "obj" and target > obj_limit:
                continue
            path = folder / f"sphere_{target}.{ext}"
            tm.export(path)
            repeats = 3 if target <= 100_000 else 1
            ours = best_time(lambda: load_mesh(path), repeats)
            bare = best_time(lambda: trimesh.load(path, process=False, force="mesh"), repeats)
            results.append({"format": ext, "faces": len(tm.faces), "megabytes": round(path.stat().st_size / 2**20, 2),
                            "load_mesh_s": ours, "trimesh_s": bare, "ratio": ours / bare})
    print_table("load_mesh vs trimesh.load(process=False)", ["format", "faces", "MB", "load_mesh s", "trimesh s", "ratio"],
                [[r["format"], r["faces"], r["megabytes"], f"{r['load_mesh_s']:.4f}", f"{r['trimesh_s']:.4f}", f"{r['ratio']:.2f}"]
                 for r in results])
    return results


def bench_cache(folder: Path, num_files: int, faces: int) -> Dict[str, object]:
    root = folder / "meshfolder"
    for k in range(num_files):
        (root / f"class{k % 3}").mkdir(parents=True, exist_ok=True)
        sphere_with_faces(faces).apply_scale(1.0 + k / num_files).export(root / f"class{k % 3}" / f"shape{k:03d}.obj")
    transform = Compose([Normalize(), SamplePoints(2048, seed=0), Voxelize(32, mode="solid")])

    def epoch() -> float:
        dataset = MeshFolder(root, transform=transform, cache_dir=folder / "cache")
        start = time.perf_counter()
        for i in range(len(dataset)):
            dataset[i]
        return time.perf_counter() - start

    first, second = epoch(), epoch()
    result = {"files": num_files, "faces_per_file": faces, "transform": repr(transform),
              "first_epoch_s": first, "cached_epoch_s": second, "speedup": first / second}
    print_table("MeshFolder + Normalize/SamplePoints(2048)/Voxelize(32): epoch times",
                ["files", "faces/file", "1st epoch s", "cached epoch s", "speed-up"],
                [[num_files, faces, f"{first:.3f}", f"{second:.3f}", f"{first / second:.1f}x"]])
    return result


def bench_ops(face_sizes: List[int], point_sizes: List[int], resolutions: List[int]) -> Dict[str, list]:
    """Times of sample_points, mesh_to_voxelgrid (every resolution up to 20k faces, the first above) and chamfer."""
    sampling, voxels, chamfer = [], [], []
    for target in face_sizes:
        tm = sphere_with_faces(target)
        vertices = torch.tensor(tm.vertices, dtype=torch.float32)
        faces = torch.tensor(tm.faces, dtype=torch.int64)
        for n in (10_000, 100_000):
            seconds = best_time(lambda: sample_points(vertices.unsqueeze(0), faces, n), 3)
            sampling.append({"faces": len(faces), "points": n, "seconds": seconds})
        for resolution in resolutions if len(faces) <= 20_000 else resolutions[:1]:
            for mode in ("surface", "solid"):
                seconds = best_time(lambda: mesh_to_voxelgrid(vertices, faces, resolution, mode=mode), 1)
                voxels.append({"faces": len(faces), "resolution": resolution, "mode": mode, "seconds": seconds})
    generator = torch.Generator().manual_seed(0)
    for n in point_sizes:
        p1 = torch.rand(1, n, 3, generator=generator)
        p2 = torch.rand(1, n, 3, generator=generator)
        chamfer.append({"points": n, "seconds": best_time(lambda: chamfer_distance(p1, p2), 1 if n > 20_000 else 3)})
    surfaces = bench_surface_search(point_sizes[-1])
    print_table("sample_points", ["faces", "points", "s"], [[r["faces"], r["points"], f"{r['seconds']:.4f}"] for r in sampling])
    print_table("mesh_to_voxelgrid", ["faces", "R", "mode", "s"],
                [[r["faces"], r["resolution"], r["mode"], f"{r['seconds']:.4f}"] for r in voxels])
    print_table("chamfer_distance (N x N points)", ["N", "s"], [[r["points"], f"{r['seconds']:.4f}"] for r in chamfer])
    print_table("nearest search between sphere samples (N points each): SciPy's default tree vs ours",
                ["N", "spheres", "default s", "ours s", "chamfer s"],
                [[r["points"], r["case"], f"{r['default_s']:.4f}", f"{r['ours_s']:.4f}", f"{r['chamfer_s']:.4f}"]
                 for r in surfaces])
    return {"sample_points": sampling, "mesh_to_voxelgrid": voxels, "chamfer_distance": chamfer,
            "surface_search": surfaces}


def bench_surface_search(n: int) -> List[dict]:
    """The nearest search of a fit's chamfer loss: a target surface's samples queried against the fit's, when the two
    lie close (radius 0.45 and 0.451) and far apart (0.45 against an early fit's 0.15). Times SciPy's default k-d tree
    (median splits, compacted cells), the sliding-midpoint tree ``nearest_distances`` builds, and the whole chamfer."""
    generator = torch.Generator().manual_seed(1)

    def sphere_samples(radius: float) -> torch.Tensor:
        directions = torch.randn(n, 3, generator=generator)
        return radius * directions / directions.norm(dim=1, keepdim=True)

    rows = []
    target = sphere_samples(0.45)
    for case, fit in (("close", sphere_samples(0.451)), ("far", sphere_samples(0.15))):
        default = best_time(lambda: cKDTree(fit.numpy()).query(target.numpy(), workers=-1), 1)
        ours = best_time(lambda: cKDTree(fit.numpy(), balanced_tree=False, compact_nodes=False).query(
            target.numpy(), workers=-1), 1)
        whole = best_time(lambda: chamfer_distance(fit.unsqueeze(0), target.unsqueeze(0)), 1)
        rows.append({"points": n, "case": case, "default_s": default, "ours_s": ours, "chamfer_s": whole})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (well under a minute)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "bench_data.json")
    args = parser.parse_args()
    torch.manual_seed(0)
    if args.quick:
        load_sizes, obj_limit, cache_setup = [10_000, 100_000], 100_000, (4, 5_000)
        op_faces, op_points, op_res = [10_000], [1_000, 10_000], [32]
    else:
        load_sizes, obj_limit, cache_setup = [10_000, 100_000, 1_000_000], 1_000_000, (12, 10_000)
        op_faces, op_points, op_res = [10_000, 100_000], [1_000, 10_000, 50_000], [32, 64]

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        report = {
            "quick": args.quick,
            "machine": {"python": platform.python_version(), "torch": torch.__version__, "threads": torch.get_num_threads(),
                        "processor": platform.processor() or platform.machine()},
            "loading": bench_loading(folder, load_sizes, obj_limit),
            "cache": bench_cache(folder, *cache_setup),
            "ops": bench_ops(op_faces, op_points, op_res),
        }
    report["total_seconds"] = time.perf_counter() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"\nwrote {args.out} ({report['total_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
