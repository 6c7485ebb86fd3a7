"""``fit`` with its defaults on a fixed suite of targets the defaults were not tuned on.

Usage::

    .venv/bin/python benchmarks/bench_fit.py [--quick] [--only NAME ...] [--files MESH ...]
                                             [--real DIR_OR_CHECKOUT ...] [--set key=value ...] [--runs DIR]
                                             [--out benchmarks/results/bench_fit.json]

``--real`` replaces the synthetic suite by public assets found at run time under the folders
given (a Kaolin checkout, trimesh's ``models/`` folder, or any folder holding those files; see
:data:`REAL_MESHES`): single-object meshes with thin parts, holes, textures and several
materials, plus point clouds sampled from some of them with their colours and voxel grids
voxelised from others (written to a temporary folder), and the real voxel grid
``chair_model.binvox`` where present. Nothing is downloaded and nothing is committed.

Every target is fitted by ``kaolin_pipeline.train.fit.fit`` with the ``fit`` defaults (plus
``--set`` overrides, for experiments), exactly as ``kaolin-pipeline fit TARGET`` would, in a
temporary run folder. The suite covers the synthetic families (the torus is genus 1: reported,
not expected to pass), smooth and bumpy shapes, textures and vertex colours, 1k to 82k target
faces, and files in other units and places (mesh files are written here first: PLY with vertex
colours, OBJ and GLB with a UV texture). Prints a table of the held-out metrics and writes
them to the JSON file. ``seconds`` is the wall time of the whole run (target rendering,
training, evaluation); ``train_s`` the training loop alone; ``cpu_s`` the CPU time of the whole
run summed over threads (on a shared machine, the figure that does not grow with the load).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import tempfile
import time
from pathlib import Path

import torch

from kaolin_pipeline.datasets.synthetic import make_shape
from kaolin_pipeline.io import save_mesh
from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.train.config import load_config
from kaolin_pipeline.train.fit import fit
from kaolin_pipeline.ops.icosphere import icosphere

#: The bars of issue 10 for closed genus-0 targets, and of issue 17 for every single-object mesh.
BARS = {"mask_iou": 0.95, "f_score_2": 0.95, "psnr_foreground": 25.0}
#: Issue 17's bar for point clouds and voxel grids: F-score@2% against their own points or surface.
SHAPE_BARS = {"f_score_2": 0.9}
COLUMNS = ("mask_iou", "f_score_1", "f_score_2", "psnr", "psnr_foreground", "folded_faces", "seconds")


def smooth_colors(vertices: torch.Tensor) -> torch.Tensor:
    """(V, 3) vertex colours in [0.1, 0.9] varying smoothly over a unit-sized shape."""
    phase = torch.tensor([0.0, 2.1, 4.2], dtype=vertices.dtype)
    return 0.5 + 0.4 * torch.sin(2.5 * vertices @ torch.tensor([[1.0, 0.3, -0.2], [0.2, 1.0, 0.4],
                                                                [-0.3, 0.1, 1.0]]).T + phase)


def bumpy_icosphere(subdivisions: int, bumps: int, height: float, sharpness: float, seed: int) -> Mesh:
    """A unit icosphere pushed out (and in) radially around ``bumps`` random directions, vertex-coloured."""
    vertices, faces = icosphere(subdivisions)
    generator = torch.Generator().manual_seed(seed)
    directions = torch.nn.functional.normalize(torch.randn(bumps, 3, generator=generator), dim=-1)
    heights = height * (torch.rand(bumps, generator=generator) * 1.5 - 0.5)
    radius = 1.0 + (heights * torch.exp(sharpness * (vertices @ directions.T - 1.0))).sum(-1)
    vertices = vertices * radius.unsqueeze(-1)
    return Mesh(vertices, faces, vertex_colors=smooth_colors(vertices))


def moved(mesh: Mesh, scale: float, offset) -> Mesh:
    """``mesh`` in other units and somewhere else: ``vertices * scale + offset``."""
    return Mesh(mesh.vertices.float() * scale + torch.tensor(offset, dtype=torch.float32), mesh.faces,
                uvs=mesh.uvs, face_uvs_idx=mesh.face_uvs_idx, texture=mesh.texture, vertex_colors=mesh.vertex_colors)


def synthetic(family: str, seed: int) -> Mesh:
    return make_shape(family, torch.Generator().manual_seed(seed))


def suite(folder: Path) -> dict[str, tuple[str, int, str]]:
    """name -> (target, seed, description). Mesh files are written to ``folder``."""
    def file(name: str, mesh: Mesh) -> str:
        path = folder / name
        save_mesh(path, mesh)
        return str(path)

    blob = synthetic("blob", 7)
    capsule = synthetic("capsule", 4)
    return {
        "sphere": ("synthetic:sphere", 1, "ellipsoid, texture"),
        "cube": ("synthetic:cube", 1, "box, sharp edges, texture"),
        "cylinder": ("synthetic:cylinder", 2, "flat caps, texture"),
        "cone": ("synthetic:cone", 2, "apex and rim, texture"),
        "capsule": ("synthetic:capsule", 1, "texture"),
        "superquadric": ("synthetic:superquadric", 2, "texture"),
        "blob": ("synthetic:blob", 5, "smooth blob, texture"),
        "bumpy_1k": (file("bumpy_1k.ply", bumpy_icosphere(3, 10, 0.5, 6.0, 1)), 0,
                     "bumpy icosphere, 1280 faces, vertex colours, PLY"),
        "bumpy_82k_mm": (file("bumpy_82k_mm.ply", moved(bumpy_icosphere(6, 12, 0.5, 8.0, 2), 250.0, [40.0, -900.0, 5.0])),
                         0, "bumpy icosphere, 81920 faces, vertex colours, PLY in millimetres off-centre"),
        "blob_vc_cm": (file("blob_vc_cm.ply", moved(Mesh(blob.vertices.float(), blob.faces,
                                                         vertex_colors=smooth_colors(blob.vertices.float())),
                                                    0.02, [0.5, 0.5, 0.5])),
                       0, "smooth blob, vertex colours, PLY at 1/50 scale"),
        "capsule_obj": (file("capsule_obj.obj", moved(capsule, 30.0, [0.0, 12.0, 0.0])), 0,
                        "capsule, UV texture, OBJ x30"),
        "blob_glb": (file("blob_glb.glb", moved(synthetic("blob", 11), 0.1, [0.0, 0.0, -0.3])), 0,
                     "blob, UV texture, GLB x0.1"),
        "torus": ("synthetic:torus", 1, "genus 1 (reported, not a bar)"),
    }


QUICK = ("cone", "bumpy_1k", "capsule_obj", "blob_vc_cm")

#: Public single-object meshes of the real suite: file name -> (where it comes from, what it tests).
REAL_MESHES = {
    "fox.obj": ("Kaolin sample_data/meshes", "thin parts: four legs, ears, tail; textured OBJ+MTL"),
    "armchair.obj": ("Kaolin sample_data/meshes", "thin legs and arms, several materials, 18k faces"),
    "avocado.obj": ("Kaolin sample_data/meshes", "textured OBJ+MTL, two parts"),
    "pizza.obj": ("Kaolin sample_data/meshes", "thin disc, textured OBJ+MTL"),
    "Duck.glb": ("trimesh models", "textured GLB"),
    "CesiumMilkTruck.glb": ("trimesh models", "GLB, several materials and parts, wheels"),
    "BoxTextured.glb": ("trimesh models", "textured GLB, UVs repeating past [0, 1]"),
    "fuze.obj": ("trimesh models", "textured OBJ+MTL (texture name with a space)"),
    "bunny.ply": ("trimesh models", "scan, 16k faces, open boundary"),
    "rabbit.obj": ("trimesh models", "low-poly animal, ears"),
    "cycloidal.ply": ("trimesh models", "CAD gear part, 43k faces, holes"),
    "torus.STL": ("trimesh models", "torus, genus 1"),
    "featuretype.STL": ("trimesh models", "CAD part with through-holes, genus 9"),
    "plate_holes.STL": ("trimesh models", "plate with holes, genus 5"),
    "1002_tray_bottom.STL": ("trimesh models", "CAD tray bottom: a plate 1/110 as thick as wide, genus 23"),
    "ADIS16480.STL": ("trimesh models", "CAD sensor housing, genus 24"),
    "quadknot.obj": ("trimesh models", "knot (faces unjoined: a triangle soup)"),
    "teapot.stl": ("trimesh models", "Utah teapot, handle hole, open parts"),
    "fandisk.obj": ("trimesh models", "CAD fandisk, sharp creases"),
    "octagonal_pocket.stl": ("trimesh models", "CAD part with a pocket, genus 1"),
    "busted.STL": ("trimesh models", "CAD part"),
    "angle_block.STL": ("trimesh models", "CAD angle block, genus 1"),
    "round.stl": ("trimesh models", "CAD round part, genus 1"),
    "20mm-xyz-cube.stl": ("trimesh models", "calibration cube with engraved letters, millimetres"),
    "suzanne.ply": ("trimesh models", "Blender's Suzanne, open eyes"),
    "counter.unitsmm.STL": ("trimesh models", "CAD part, 84k faces, six parts, millimetres"),
    "bun_zipper.ply": ("Stanford 3D Scanning Repository, e.g. github.com/ksnabb/stan_bun",
                       "Stanford bunny scan, 69k faces, holes in its base"),
}
#: Meshes sampled into coloured point clouds, and meshes voxelised into grids, for the real suite.
REAL_CLOUDS = {"fox.obj": ".ply", "Duck.glb": ".pcd", "bunny.ply": ".npz"}
REAL_GRIDS = {"torus.STL": ".binvox", "rabbit.obj": ".npz"}
REAL_BINVOX = {"chair_model.binvox": ("trimesh models", "real voxel grid (binvox), 32^3")}


def _find(roots: list[Path], name: str) -> Path | None:
    for root in roots:
        hits = sorted(root.rglob(name)) if root.is_dir() else []
        hits = [hit for hit in hits if "tests" not in hit.parts]
        if hits:
            return hits[0]
    return None


def _colored_cloud(mesh: Mesh, count: int, seed: int):
    """``count`` area-weighted samples of ``mesh`` with its albedo there (materials, texture or vertex
    colours; none without), as a :class:`PointCloud`."""
    from kaolin_pipeline.ops.sampling import sample_points
    from kaolin_pipeline.render.materials import material_albedo
    from kaolin_pipeline.structures import PointCloud

    generator = torch.Generator().manual_seed(seed)
    vertices = mesh.vertices.float().unsqueeze(0)
    if mesh.uvs is not None and (mesh.materials or mesh.texture is not None):
        corners = mesh.uvs.float()[mesh.face_uvs_idx].unsqueeze(0)  # (1, F, 3, 2)
        points, faces, uv = sample_points(vertices, mesh.faces, count, face_features=corners, generator=generator)
        if mesh.materials:
            colors = material_albedo(uv.view(1, 1, count, 2), faces.view(1, 1, count), mesh.materials,
                                     mesh.material_assignments)[0, 0]
        else:
            grid = torch.stack([uv[..., 0] * 2 - 1, 1 - uv[..., 1] * 2], dim=-1).view(1, 1, count, 2)
            colors = torch.nn.functional.grid_sample(mesh.texture.float()[None, :3], grid, align_corners=False)[0, :, 0].T
        return PointCloud(points[0], colors=colors.clamp(0, 1))
    if mesh.vertex_colors is not None:
        corners = mesh.vertex_colors.float()[mesh.faces].unsqueeze(0)
        points, _, colors = sample_points(vertices, mesh.faces, count, face_features=corners, generator=generator)
        return PointCloud(points[0], colors=colors[0].clamp(0, 1))
    return PointCloud(sample_points(vertices, mesh.faces, count, generator=generator)[0][0])


def real_suite(roots: list[Path], folder: Path) -> dict[str, tuple[str, int, str]]:
    """name -> (target, seed, description) for the public assets found under ``roots``; point clouds
    and voxel grids derived from some of them are written to ``folder``."""
    from kaolin_pipeline.io import load_mesh
    from kaolin_pipeline.io.pointcloud import save_pointcloud
    from kaolin_pipeline.io.voxelgrid import save_voxelgrid
    from kaolin_pipeline.ops.conversions import mesh_to_voxelgrid

    targets = {}
    for name, (source, description) in REAL_MESHES.items():
        path = _find(roots, name)
        if path is not None:
            targets[name] = (str(path), 0, f"{description} [{source}]")
    for name, extension in REAL_CLOUDS.items():
        if name in targets:
            cloud = _colored_cloud(load_mesh(targets[name][0]), 20000, seed=1)
            path = folder / f"{Path(name).stem}_cloud{extension}"
            save_pointcloud(path, cloud)
            targets[path.name] = (str(path), 0, f"point cloud: 20000 samples of {name}")
    for name, extension in REAL_GRIDS.items():
        if name in targets:
            mesh = load_mesh(targets[name][0])
            path = folder / f"{Path(name).stem}_grid{extension}"
            save_voxelgrid(path, mesh_to_voxelgrid(mesh.vertices.float(), mesh.faces, 64, mode="solid"))
            targets[path.name] = (str(path), 0, f"voxel grid: {name} voxelised solid at 64^3")
    for name, (source, description) in REAL_BINVOX.items():
        path = _find(roots, name)
        if path is not None:
            targets[name] = (str(path), 0, f"{description} [{source}]")
    return targets


def passes(row: dict, kind: str = "mesh") -> bool:
    """Whether ``row`` meets the bars of a target of this kind (a mesh, a point cloud, a voxel grid)."""
    bars = BARS if kind == "mesh" else SHAPE_BARS
    return all(row.get(key, -math.inf) >= bar for key, bar in bars.items())


def target_kind(target: str) -> str:
    """``"mesh"``, ``"point cloud"`` or ``"voxel grid"`` for a file; ``"mesh"`` for ``synthetic:<family>``."""
    from kaolin_pipeline.io.formats import kind_of

    return kind_of(target) if Path(target).is_file() else "mesh"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)}")
    parser.add_argument("--only", nargs="+", help="targets to run (by name)")
    parser.add_argument("--set", nargs="+", default=[], metavar="key=value", help="config overrides (experiments)")
    parser.add_argument("--files", nargs="+", default=[], type=Path,
                        help="mesh files to fit as well (e.g. Kaolin's sample_data/meshes/avocado.obj)")
    parser.add_argument("--real", nargs="+", type=Path, default=[], metavar="DIR",
                        help="folders or checkouts holding the public assets of the real suite (Kaolin, trimesh)")
    parser.add_argument("--runs", type=Path, help="keep the run folders (views, final mesh, report) here")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "bench_fit.json")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        targets = real_suite(args.real, Path(tmp)) if args.real else suite(Path(tmp))
        files = {path.name: (str(path), 0, "user file") for path in args.files}
        names = args.only or [*(QUICK if args.quick and not args.real else targets), *files]
        targets.update(files)
        print(f"{'target':<14} {'IoU':>6} {'F@1%':>6} {'F@2%':>6} {'PSNR':>6} {'PSNRfg':>6} {'folded':>6} "
              f"{'s':>6} {'cpu s':>6} {'pass':>5}", flush=True)
        for name in names:
            target, seed, description = targets[name]
            config = load_config("fit", overrides=[f"target={target}", f"seed={seed}", *args.set])
            start, cpu_start, load = time.perf_counter(), time.process_time(), os.getloadavg()[0]
            try:
                metrics = fit(config, (args.runs or Path(tmp) / "runs") / name, overwrite=True, progress=False,
                              finish=args.runs is not None)
            except Exception as error:  # a miss is a row of the table, not the end of the benchmark
                metrics = {"error": f"{type(error).__name__}: {error}"}
            row = {"target": name, "description": description, **metrics, "train_s": metrics.get("train_seconds"),
                   "seconds": time.perf_counter() - start, "cpu_s": time.process_time() - cpu_start,
                   "load_average": load}
            row["kind"] = target_kind(target)
            row["pass"] = passes(row, row["kind"])
            rows.append(row)
            if args.out.exists() or rows:
                _write(args, rows)
            print(f"{name[:14]:<14} {row.get('mask_iou', math.nan):6.3f} {row.get('f_score_1', math.nan):6.3f} "
                  f"{row.get('f_score_2', math.nan):6.3f} {row.get('psnr', math.nan):6.2f} "
                  f"{row.get('psnr_foreground', math.nan):6.2f} {row.get('folded_faces', -1):6d} {row['seconds']:6.1f} "
                  f"{row['cpu_s']:6.1f} {'yes' if row['pass'] else 'NO':>5} {metrics.get('error', '')}", flush=True)
    print("\n| target | IoU | F@1% | F@2% | PSNR | PSNR fg | folded faces | s (CPU s) |\n| --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(f"| {row['target']} ({row['description']}) | {row.get('mask_iou', math.nan):.3f} | "
              f"{row.get('f_score_1', math.nan):.3f} | {row.get('f_score_2', math.nan):.3f} | {row.get('psnr', math.nan):.1f} | "
              f"{row.get('psnr_foreground', math.nan):.1f} | {row.get('folded_faces', '-')} | "
              f"{row['seconds']:.0f} ({row['cpu_s']:.0f}) |")
    for kind in ("mesh", "point cloud", "voxel grid"):
        of_kind = [row for row in rows if row.get("kind") == kind]
        if of_kind:
            print(f"{kind}: {sum(row['pass'] for row in of_kind)} of {len(of_kind)} meet the bars")
    _write(args, rows)
    print(f"written: {args.out}")


def _write(args: argparse.Namespace, rows: list[dict]) -> None:
    """The JSON report so far (rewritten after every target, so a long run leaves its rows behind)."""
    report = {"machine": {"python": platform.python_version(), "torch": torch.__version__,
                          "threads": torch.get_num_threads(), "cpus": os.cpu_count(), "load_average": os.getloadavg()},
              "overrides": args.set, "real": [str(path) for path in args.real], "bars": BARS,
              "shape_bars": SHAPE_BARS, "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
