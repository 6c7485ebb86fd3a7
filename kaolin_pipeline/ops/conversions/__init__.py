"""Conversions between meshes, tetrahedral grids, point clouds, voxel grids and SDFs.

``voxelize``: the project's single-shape conversions on :class:`~kaolin_pipeline.structures.VoxelGrid`
(exact surface and solid voxelisation, marching cubes, point voxelisation). ``tetmesh``: marching
tetrahedra (Kaolin's ``kal.ops.conversions.marching_tetrahedra``).
"""
from kaolin_pipeline.ops.conversions.tetmesh import marching_tetrahedra
from kaolin_pipeline.ops.conversions.voxelize import mesh_to_voxelgrid, pointcloud_to_voxelgrid, voxelgrid_to_mesh

__all__ = ["marching_tetrahedra", "mesh_to_voxelgrid", "pointcloud_to_voxelgrid", "voxelgrid_to_mesh"]
