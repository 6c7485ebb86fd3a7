"""Forward + backward time and peak memory of the DIB-R renderer against mesh size, image size and batch.

Methods:
    dibr       ``dibr_rasterization`` with per-vertex colours and the soft mask (loss: features + soft mask)
    rasterize  hard ``rasterize`` alone (loss: features)
    dense      a naive all-pixels x all-faces implementation written here (hard rasterization and a
               soft mask over every face), for the speed / memory ratio at small sizes
    kaolin     Kaolin's own CUDA ``dibr_rasterization``, same inputs and loss as ``dibr`` (only with
               ``--device cuda`` and ``kaolin`` importable; skipped otherwise)

Every configuration runs in a fresh subprocess, which reports its own peak RSS (``ru_maxrss``) and
the RSS before the timed work, plus ``torch.cuda.max_memory_allocated`` on CUDA. Times are the
fastest of ``--repeats`` runs, in wall-clock time (``fwd ms``, ``bwd ms``) and, on the CPU, in this
thread's CPU time (``cpu ms``, forward + backward: much less disturbed by other processes on a
shared machine). Configurations predicted to take longer than ``--budget`` seconds (from the
previous, smaller one) are skipped.

Host synchronisations: a second table counts, with
:class:`kaolin_pipeline.render.host_reads.HostReadCounter`, the operations that make the host wait
for the device (``nonzero``, ``.item()``, copies to the host...) in one ``DIBRenderer`` forward +
backward (smooth shading, SH lights, soft mask), for small and large meshes and images and a tiny
``max_pairs`` that cuts the work into thousands of chunks.

Usage::

    .venv/bin/python benchmarks/bench_render.py [--quick] [--device cuda] [--faces 1280,20480]
        [--sizes 128,512] [--batches 4] [--methods dibr,kaolin] [--output PATH]

Prints the tables and the fitted log-log growth exponents of time in faces and in pixels, and
writes everything to ``benchmarks/results/bench_render.json``.
"""
from __future__ import annotations

import argparse
import json
import math
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # measure the checkout this file is in, not another installed copy
FACES = [320, 1280, 5120, 20480, 81920]          # icosphere subdivisions 2 ... 6
SIZES = [64, 128, 256, 512]
BATCHES = [1, 4, 8]
QUICK_FACES, QUICK_SIZES, QUICK_BATCHES = [320, 1280, 5120], [64, 128], [4]
DENSE_MAX_ELEMENTS = 1.1e7                        # B * pixels * faces above which the dense method is skipped
METHODS = ("rasterize", "dibr", "dense", "kaolin")
# (faces, image size, max_pairs) of the host-synchronisation count; the last one forces many chunks.
SYNC_CASES = [(1280, 64, None), (1280, 512, None), (81920, 64, None), (81920, 512, None), (1280, 64, 64)]


# ----------------------------------------------------------------------------------------------
# Worker: runs one configuration, prints one JSON line.
# ----------------------------------------------------------------------------------------------

def _rss_mb() -> float:
    """Current resident set size of this process, in MiB (Linux /proc)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2 ** 20


def _dense_dibr(height: int, width: int, face_vertices_z, face_vertices_image, face_features, sigmainv: float):
    """Reference DIB-R on a (B, H*W, F) grid: every pixel tested against every face."""
    import torch

    rows = torch.arange(height, device=face_vertices_image.device, dtype=face_vertices_image.dtype)
    cols = torch.arange(width, device=face_vertices_image.device, dtype=face_vertices_image.dtype)
    y = ((height - 2 * rows - 1) / height)[:, None].expand(height, width).reshape(1, -1, 1)
    x = ((2 * cols + 1 - width) / width)[None, :].expand(height, width).reshape(1, -1, 1)
    corners = [face_vertices_image[:, None, :, k] for k in range(3)]          # (B, 1, F, 2) each

    def cross(a, b, px, py):
        return (b[..., 0] - a[..., 0]) * (py - a[..., 1]) - (b[..., 1] - a[..., 1]) * (px - a[..., 0])

    area = cross(corners[0], corners[1], corners[2][..., 0], corners[2][..., 1])
    weights = torch.stack([cross(corners[1], corners[2], x, y), cross(corners[2], corners[0], x, y),
                           cross(corners[0], corners[1], x, y)], dim=-1) / area.unsqueeze(-1)   # (B, P, F, 3)
    inside = (weights >= 0).all(dim=-1) & (area.abs() > 1e-12)
    depth = (weights * face_vertices_z[:, None]).sum(-1).masked_fill(~inside, -math.inf)
    best = depth.argmax(dim=-1)                                                  # (B, P)
    covered = inside.any(dim=-1)
    best_weights = weights.gather(2, best[..., None, None].expand(-1, -1, 1, 3)).squeeze(2)
    best_features = face_features[torch.arange(best.shape[0])[:, None], best]   # (B, P, 3, D)
    features = (best_weights.unsqueeze(-1) * best_features).sum(2) * covered.unsqueeze(-1)
    # Soft mask: squared distance to every face's three edges.
    distances = []
    for k in range(3):
        start, end = corners[k], corners[(k + 1) % 3]
        edge = end - start
        to_x, to_y = x - start[..., 0], y - start[..., 1]
        t = ((to_x * edge[..., 0] + to_y * edge[..., 1]) / (edge * edge).sum(-1).clamp_min(1e-20)).clamp(0, 1)
        distances.append((to_x - t * edge[..., 0]) ** 2 + (to_y - t * edge[..., 1]) ** 2)
    d2 = torch.stack(distances, -1).amin(-1)
    soft = 1 - torch.prod(1 - torch.exp(-sigmainv * d2), dim=-1)
    soft = torch.where(covered, torch.ones_like(soft), soft)
    shape = (face_vertices_image.shape[0], height, width)
    return features.reshape(*shape, -1), soft.reshape(shape)


def run_worker(method: str, faces: int, size: int, batch: int, device: str, repeats: int) -> dict:
    import torch
    import trimesh

    from kaolin_pipeline.render import dibr_rasterization, look_at_cameras, prepare_vertices, rasterize

    if method == "kaolin":
        from kaolin.render.mesh import dibr_rasterization as kaolin_dibr_rasterization

    torch.manual_seed(0)
    subdivisions = int(round(math.log(faces / 20, 4)))
    sphere = trimesh.creation.icosphere(subdivisions=subdivisions, radius=0.8)
    vertices = torch.tensor(sphere.vertices, dtype=torch.float32, device=device)
    face_tensor = torch.tensor(sphere.faces, dtype=torch.long, device=device)
    colors = torch.rand(batch, vertices.shape[0], 3, device=device)
    cameras = look_at_cameras(torch.linspace(0, 300, batch), 20.0, 3.0, 40.0, device=device)
    face_colors = colors[:, face_tensor]

    def step():
        moving = vertices.clone().requires_grad_(True)
        fvc, fvi, normals = prepare_vertices(moving.expand(batch, -1, -1), face_tensor, cameras.projection,
                                             camera_rot=cameras.rotation, camera_trans=cameras.translation)
        _sync(device)
        start, cpu_start = time.perf_counter(), time.thread_time()
        if method == "rasterize":
            features, _ = rasterize(size, size, fvc[..., 2], fvi, face_colors, valid_faces=normals[..., 2] >= 0)
            loss = features.sum()
        elif method == "dibr":
            features, soft, _ = dibr_rasterization(size, size, fvc[..., 2], fvi, face_colors, normals[..., 2])
            loss = features.sum() + soft.sum()
        elif method == "kaolin":
            features, soft, _ = kaolin_dibr_rasterization(size, size, fvc[..., 2], fvi, face_colors, normals[..., 2])
            loss = features.sum() + soft.sum()
        else:
            features, soft = _dense_dibr(size, size, fvc[..., 2], fvi, face_colors, 7000.0)
            loss = features.sum() + soft.sum()
        _sync(device)
        middle = time.perf_counter()
        loss.backward()
        _sync(device)
        return middle - start, time.perf_counter() - middle, time.thread_time() - cpu_start

    baseline_rss = _rss_mb()
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    step()  # warm-up
    timings = [step() for _ in range(repeats)]
    result = {
        "forward_s": min(t[0] for t in timings),
        "backward_s": min(t[1] for t in timings),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "baseline_rss_mb": baseline_rss,
    }
    if device.startswith("cuda"):
        result["cuda_peak_mb"] = torch.cuda.max_memory_allocated() / 2 ** 20
    else:
        result["cpu_s"] = min(t[2] for t in timings)
    return result


def count_syncs(faces: int, size: int, max_pairs, device: str) -> dict:
    """Host reads of one DIBRenderer forward + backward (B = 2 views), by operation."""
    import torch
    import trimesh

    from kaolin_pipeline.render import DIBRenderer, look_at_cameras
    from kaolin_pipeline.render.binning import DEFAULT_MAX_PAIRS
    from kaolin_pipeline.render.host_reads import HostReadCounter

    sphere = trimesh.creation.icosphere(subdivisions=int(round(math.log(faces / 20, 4))), radius=0.8)
    vertices = torch.tensor(sphere.vertices, dtype=torch.float32, device=device, requires_grad=True)
    face_tensor = torch.tensor(sphere.faces, dtype=torch.long, device=device)
    colors = torch.rand(vertices.shape[0], 3, device=device)
    cameras = look_at_cameras([0.0, 120.0], 20.0, 3.0, 40.0, device=device)
    lights = torch.rand(9, device=device)
    renderer = DIBRenderer(size, shading="smooth", max_pairs=max_pairs or DEFAULT_MAX_PAIRS).to(device)
    renderer(vertices, face_tensor, cameras, vertex_colors=colors, lights=lights)  # warm-up
    _sync(device)
    with HostReadCounter() as counter:
        out = renderer(vertices, face_tensor, cameras, vertex_colors=colors, lights=lights)
        (out["image"].sum() + out["soft_mask"].sum()).backward()
    return {"total": counter.total, "by_op": dict(counter.by_op)}


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


# ----------------------------------------------------------------------------------------------
# Driver: schedules configurations in subprocesses, prints the table, fits exponents, writes JSON.
# ----------------------------------------------------------------------------------------------

def measure(method: str, faces: int, size: int, batch: int, device: str, repeats: int, timeout: float) -> dict:
    command = [sys.executable, __file__, "--worker", method, str(faces), str(size), str(batch),
               "--device", device, "--repeats", str(repeats)]
    row = {"method": method, "faces": faces, "size": size, "pixels": size * size, "batch": batch}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {**row, "status": f"timeout > {timeout:.0f} s"}
    if done.returncode != 0:
        return {**row, "status": "failed: " + (done.stderr.strip().splitlines() or ["?"])[-1][:200]}
    return {**row, "status": "ok", **json.loads(done.stdout.strip().splitlines()[-1])}


def fit_exponents(rows: list[dict]) -> dict:
    """Least-squares ``log t = a + p_faces log F + p_pixels log P`` per (method, batch), forward + backward."""
    fits = {}
    for method in METHODS:
        for batch in BATCHES:
            points = [r for r in rows if r["method"] == method and r["batch"] == batch and r["status"] == "ok"]
            faces = {r["faces"] for r in points}
            pixels = {r["pixels"] for r in points}
            if len(points) < 3 or len(faces) < 2 or len(pixels) < 2:
                continue
            design = np.array([[1.0, math.log(r["faces"]), math.log(r["pixels"])] for r in points])
            target = np.array([math.log(r["forward_s"] + r["backward_s"]) for r in points])
            coefficients, *_ = np.linalg.lstsq(design, target, rcond=None)
            fits[f"{method}/batch{batch}"] = {"faces_exponent": float(coefficients[1]),
                                              "pixels_exponent": float(coefficients[2]), "points": len(points)}
    return fits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small subset: faces 320-5120, 64² and 128², batch 4")
    parser.add_argument("--faces", help="comma-separated face counts (icospheres: 20 * 4^k)")
    parser.add_argument("--sizes", help="comma-separated image sizes")
    parser.add_argument("--batches", help="comma-separated batch sizes")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated methods")
    parser.add_argument("--no-syncs", action="store_true", help="skip the host-synchronisation count")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per configuration (the fastest is kept: robust to a busy machine)")
    parser.add_argument("--budget", type=float, default=30.0, help="skip configurations predicted above (s)")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "bench_render.json")
    parser.add_argument("--worker", nargs=4, metavar=("METHOD", "FACES", "SIZE", "BATCH"), help=argparse.SUPPRESS)
    parser.add_argument("--sync-worker", nargs=3, metavar=("FACES", "SIZE", "MAX_PAIRS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        method, faces, size, batch = args.worker
        print(json.dumps(run_worker(method, int(faces), int(size), int(batch), args.device, args.repeats)))
        return
    if args.sync_worker:
        faces, size, max_pairs = (int(value) for value in args.sync_worker)
        print(json.dumps(count_syncs(faces, size, max_pairs or None, args.device)))
        return

    faces_list, sizes, batches = (QUICK_FACES, QUICK_SIZES, QUICK_BATCHES) if args.quick else (FACES, SIZES, BATCHES)
    faces_list = _int_list(args.faces) if args.faces else faces_list
    sizes = _int_list(args.sizes) if args.sizes else sizes
    batches = _int_list(args.batches) if args.batches else batches
    methods = [m for m in args.methods.split(",") if m]
    unknown = set(methods) - set(METHODS)
    if unknown:
        parser.error(f"unknown methods {sorted(unknown)}; choose from {METHODS}")
    kaolin_skip = _kaolin_unavailable(args.device)
    rows = []
    header = f"{'method':<10}{'batch':>6}{'faces':>8}{'size':>6}{'fwd ms':>10}{'bwd ms':>10}{'cpu ms':>9}" \
             f"{'peak MB':>9}{'+MB':>8}{'cuda MB':>9}  status"
    print(header)
    print("-" * len(header))
    for method in methods:
        for batch in batches:
            for size in sizes:
                previous = None
                for faces in faces_list:
                    row = {"method": method, "faces": faces, "size": size, "pixels": size * size, "batch": batch}
                    if method == "kaolin" and kaolin_skip:
                        row["status"] = f"skipped: {kaolin_skip}"
                    elif method == "dense" and batch * size * size * faces > DENSE_MAX_ELEMENTS:
                        row["status"] = "skipped: dense grid too large"
                    elif previous is not None and previous["status"] == "ok" and \
                            4 * (previous["forward_s"] + previous["backward_s"]) * (args.repeats + 1) > args.budget:
                        row["status"] = "skipped: predicted over budget"
                    elif previous is not None and previous["status"] != "ok":
                        row["status"] = "skipped: smaller configuration skipped or failed"
                    else:
                        row = measure(method, faces, size, batch, args.device, args.repeats,
                                      timeout=max(4 * args.budget, 60.0))
                    previous = row
                    rows.append(row)
                    print(_format_row(row), flush=True)

    syncs = [] if args.no_syncs else sync_table(args.device, timeout=max(4 * args.budget, 120.0))
    fits = fit_exponents(rows)
    print("\nlog-log growth of forward+backward time (t ~ faces^p_f * pixels^p_p):")
    for key, fit in fits.items():
        print(f"  {key:<18} p_faces = {fit['faces_exponent']:.2f}   p_pixels = {fit['pixels_exponent']:.2f}"
              f"   ({fit['points']} points)")
    ratios = _dense_ratios(rows)
    if ratios:
        print("\ndense / dibr ratio (time, peak-RSS increase):")
        for ratio in ratios:
            print(f"  batch {ratio['batch']} faces {ratio['faces']} {ratio['size']}²: time x{ratio['time_ratio']:.1f}, "
                  f"memory x{ratio['memory_ratio']:.1f}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({
        "device": args.device, "quick": args.quick, "repeats": args.repeats, "python": platform.python_version(),
        "machine": platform.machine(), "rows": rows, "fits": fits, "dense_ratios": ratios, "host_syncs": syncs},
        indent=2))
    print(f"\nwrote {args.output}")


def _int_list(text: str) -> list[int]:
    return [int(value) for value in text.split(",") if value]


def _kaolin_unavailable(device: str) -> str:
    """Why Kaolin's CUDA DIB-R cannot run here ('' when it can)."""
    if not device.startswith("cuda"):
        return "Kaolin's DIB-R needs --device cuda"
    done = subprocess.run([sys.executable, "-c", "import kaolin.render.mesh"], capture_output=True, text=True)
    return "" if done.returncode == 0 else "kaolin is not importable"


def sync_table(device: str, timeout: float) -> list[dict]:
    """Count host synchronisations per DIBRenderer forward + backward; print and return the rows."""
    print("\nhost synchronisations per DIBRenderer forward + backward (2 views, smooth, SH lights, soft mask):")
    print(f"{'faces':>8}{'size':>6}{'max_pairs':>11}{'syncs':>7}  by operation")
    rows = []
    for faces, size, max_pairs in SYNC_CASES:
        command = [sys.executable, __file__, "--sync-worker", str(faces), str(size), str(max_pairs or 0),
                   "--device", device]
        row = {"faces": faces, "size": size, "max_pairs": max_pairs or "default"}
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
            if done.returncode == 0:
                row.update(json.loads(done.stdout.strip().splitlines()[-1]))
            else:
                row["error"] = (done.stderr.strip().splitlines() or ["?"])[-1][:200]
        except subprocess.TimeoutExpired:
            row["error"] = f"timeout > {timeout:.0f} s"
        rows.append(row)
        detail = ", ".join(f"{op} {n}" for op, n in sorted(row.get("by_op", {}).items())) or row.get("error", "")
        print(f"{faces:>8}{size:>6}{str(row['max_pairs']):>11}{str(row.get('total', '-')):>7}  {detail}", flush=True)
    return rows


def _rss_growth_mb(row: dict) -> float:
    """Peak RSS above the worker's baseline (at least 1 MB, so ratios stay finite)."""
    return max(row["peak_rss_mb"] - row["baseline_rss_mb"], 1.0)


def _dense_ratios(rows: list[dict]) -> list[dict]:
    by_key = {(r["method"], r["batch"], r["faces"], r["size"]): r for r in rows if r["status"] == "ok"}
    ratios = []
    for (method, batch, faces, size), dense in by_key.items():
        dibr = by_key.get(("dibr", batch, faces, size))
        if method != "dense" or dibr is None:
            continue
        ratios.append({"batch": batch, "faces": faces, "size": size,
                       "time_ratio": (dense["forward_s"] + dense["backward_s"]) / (dibr["forward_s"] + dibr["backward_s"]),
                       "memory_ratio": _rss_growth_mb(dense) / _rss_growth_mb(dibr)})
    return ratios


def _format_row(row: dict) -> str:
    text = f"{row['method']:<10}{row['batch']:>6}{row['faces']:>8}{row['size']:>6}"
    if row["status"] != "ok":
        return text + f"{'':>61}  {row['status']}"
    cuda = f"{row['cuda_peak_mb']:>9.0f}" if "cuda_peak_mb" in row else f"{'-':>9}"
    cpu = f"{row['cpu_s'] * 1e3:>9.1f}" if "cpu_s" in row else f"{'-':>9}"
    return text + (f"{row['forward_s'] * 1e3:>10.1f}{row['backward_s'] * 1e3:>10.1f}{cpu}{row['peak_rss_mb']:>9.0f}"
                   f"{row['peak_rss_mb'] - row['baseline_rss_mb']:>8.0f}{cuda}  ok")


if __name__ == "__main__":
    main()
