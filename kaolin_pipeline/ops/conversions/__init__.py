"""Conversions between meshes, tetrahedral grids, point clouds, voxel grids and SDFs.

``voxelize``: the project's single-shape conversions on :class:`~kaolin_pipeline.structures.VoxelGrid`
(exact surface and solid voxelisation, marching cubes, point voxelisation). ``tetmesh``: marching
tetrahedra (Kaolin's ``kal.ops.conversions.marching_tetrahedra``). ``grids``: Kaolin's batched conversions
on plain ``(B, X, Y, Z)`` tensors with its own index conventions.
"""
from kaolin_pipeline.ops.conversions.grids import (
    pointclouds_to_voxelgrids,
    trianglemeshes_to_voxelgrids,
    voxelgrids_to_cubic_meshes,
    voxelgrids_to_trianglemeshes,
)
from kaolin_pipeline.ops.conversions.tetmesh import marching_tetrahedra
from kaolin_pipeline.ops.conversions.voxelize import mesh_to_voxelgrid, pointcloud_to_voxelgrid, voxelgrid_to_mesh

__all__ = ["marching_tetrahedra", "mesh_to_voxelgrid", "pointcloud_to_voxelgrid", "pointclouds_to_voxelgrids",
           "trianglemeshes_to_voxelgrids", "voxelgrid_to_mesh", "voxelgrids_to_cubic_meshes",
           "voxelgrids_to_trianglemeshes"]
