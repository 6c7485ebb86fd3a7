"""A run's Timelapse: the predicted mesh, a point cloud on it and its voxels, logged as Kaolin Timelapse USD."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import torch

from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.export.timelapse import Timelapse
from kaolin_pipeline.ops.conversions import mesh_to_voxelgrid
from kaolin_pipeline.ops.mesh import index_vertices_by_faces
from kaolin_pipeline.ops.sampling import sample_points


class TimelapseLogger:
    """Logs meshes of a run to ``<folder>/<category>/`` (a run's ``timelapse/``): each mesh (with its
    texture as a material), a point cloud sampled from its surface and its surface voxelisation.

    Args:
        folder: the Timelapse folder (:attr:`RunDir.timelapse <kaolin_pipeline.export.rundir.RunDir.timelapse>`).
        category: Timelapse category (sub-folder).
        num_points: points sampled per mesh.
        voxel_resolution: voxels per side of each mesh's grid.
    """

    def __init__(self, folder: Path, category: str = "fit", num_points: int = 2000, voxel_resolution: int = 32):
        self.timelapse = Timelapse(Path(folder))
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
