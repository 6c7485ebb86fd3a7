"""What a run leaves behind besides checkpoints: Timelapse USD, view images, metrics.json, final assets, report."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping, Sequence

import torch
from PIL import Image

from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.export.timelapse import Timelapse
from kaolin_pipeline.ops.conversions import mesh_to_voxelgrid
from kaolin_pipeline.ops.mesh import index_vertices_by_faces
from kaolin_pipeline.ops.sampling import sample_points
from kaolin_pipeline.train.views import to_uint8

METRICS_NAME = "metrics.json"


class TimelapseLogger:
    """Logs meshes of a run to ``RUN_DIR/timelapse/<category>/``: each mesh (with its texture
    as a material), a point cloud sampled from its surface and its surface voxelisation.

    Args:
        run_dir: the run folder.
        category: Timelapse category (sub-folder).
        num_points: points sampled per mesh.
        voxel_resolution: voxels per side of each mesh's grid.
    """

    def __init__(self, run_dir: Path, category: str = "fit", num_points: int = 2000, voxel_resolution: int = 32):
        self.timelapse = Timelapse(Path(run_dir) / "timelapse")
        self.category, self.num_points, self.voxel_resolution = category, num_points, voxel_resolution

    @torch.no_grad()
    def log(self, iteration: int, meshes: Sequence[Mesh]) -> None:
        """Add ``meshes`` (item ``i`` -> ``mesh_<i>.usd`` etc.) at ``iteration``."""
        meshes = [m.to("cpu") for m in meshes]
        appearances = [m.appearance for m in meshes]
        textured = all(a.single_texture for a in appearances)
        self.timelapse.add_mesh_batch(
            iteration=iteration, category=self.category,
            vertices_list=[m.vertices for m in meshes], faces_list=[m.faces for m in meshes],
            uvs_list=[m.uvs for m in meshes] if textured else None,
            face_uvs_idx_list=[m.face_uvs_idx for m in meshes] if textured else None,
            materials_list=[a.texture for a in appearances] if textured else None)
        clouds, colors = [], []
        generator = torch.Generator().manual_seed(iteration)
        for mesh, appearance in zip(meshes, appearances):
            if appearance.vertex_colors is not None:
                features = index_vertices_by_faces(appearance.vertex_colors.unsqueeze(0), mesh.faces)
                points, _, color = sample_points(mesh.vertices.unsqueeze(0), mesh.faces, self.num_points,
                                                 face_features=features, generator=generator)
                colors.append(color[0].clamp(0, 1))
            else:
                points, _ = sample_points(mesh.vertices.unsqueeze(0), mesh.faces, self.num_points, generator=generator)
            clouds.append(points[0])
        self.timelapse.add_pointcloud_batch(iteration=iteration, category=self.category, pointcloud_list=clouds,
                                            colors=colors if len(colors) == len(clouds) else None)
        grids = [mesh_to_voxelgrid(m.vertices, m.faces, self.voxel_resolution, mode="surface") for m in meshes]
        self.timelapse.add_voxelgrid_batch(iteration=iteration, category=self.category, voxelgrid_list=grids)


def save_view_images(run_dir: Path, targets: torch.Tensor, predictions: torch.Tensor) -> list[Path]:
    """Write ``views/target_<i>.png`` and ``views/pred_<i>.png`` from (N, H, W, 3) images in [0, 1]."""
    folder = Path(run_dir) / "views"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for i, (target, prediction) in enumerate(zip(targets, predictions)):
        for prefix, image in (("target", target), ("pred", prediction)):
            path = folder / f"{prefix}_{i}.png"
            Image.fromarray(to_uint8(image)).save(path)
            written.append(path)
    return written


def write_metrics(run_dir: Path, metrics: Mapping[str, object]) -> Path:
    """Write ``RUN_DIR/metrics.json``."""
    path = Path(run_dir) / METRICS_NAME
    path.write_text(json.dumps(dict(metrics), indent=2) + "\n")
    return path


def finish_run(run_dir: Path, mesh: Mesh) -> dict[str, Path]:
    """Final assets (``RUN_DIR/final/``) of ``mesh`` and the HTML report; their paths."""
    from kaolin_pipeline.export.assets import export_assets
    from kaolin_pipeline.export.report import write_report

    export_assets(mesh.to("cpu"), Path(run_dir) / "final")
    return {"final": Path(run_dir) / "final", "report": Path(write_report(run_dir))}
