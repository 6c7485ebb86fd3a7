"""Structured point clouds (octrees) in vectorised PyTorch, with Kaolin's names, dtypes and layouts.

``bits`` (octree bytes ⇄ bits), ``morton`` (codes, quantisation, corners), ``exsum`` (its two layouts),
``octree`` (build, scan, decode), ``query`` (cell lookup), ``dual`` (dual octree, trinkets),
``interpolate`` (trilinear), ``dense`` (dense grids ⇄ SPC), ``conv`` (sparse convolutions), ``container``
(``Spc``), ``pointcloud`` (point cloud → ``Spc``), ``mesh`` (triangle mesh → octree), ``random`` (random octrees).
"""
from kaolin_pipeline.ops.spc.bits import bits_to_uint8, uint8_bits_sum, uint8_to_bits
from kaolin_pipeline.ops.spc.container import Spc
from kaolin_pipeline.ops.spc.conv import Conv3d, ConvTranspose3d, conv3d, conv_transpose3d
from kaolin_pipeline.ops.spc.dense import feature_grids_to_spc, to_dense
from kaolin_pipeline.ops.spc.dual import unbatched_make_dual, unbatched_make_trinkets
from kaolin_pipeline.ops.spc.exsum import current_to_legacy, ensure_current_exsum, octree_byte_lengths_from_pyramid
from kaolin_pipeline.ops.spc.interpolate import (coords_to_trilinear, coords_to_trilinear_coeffs,
                                                 unbatched_interpolate_trilinear)
from kaolin_pipeline.ops.spc.mesh import unbatched_mesh_to_spc
from kaolin_pipeline.ops.spc.morton import morton_to_points, points_to_corners, points_to_morton, quantize_points
from kaolin_pipeline.ops.spc.octree import (create_dense_spc, generate_points, scan_octrees,
                                            unbatched_points_to_octree)
from kaolin_pipeline.ops.spc.pointcloud import unbatched_pointcloud_to_spc
from kaolin_pipeline.ops.spc.query import unbatched_get_level_points, unbatched_query
from kaolin_pipeline.ops.spc.random import random_spc_octrees

__all__ = [
    "Conv3d", "ConvTranspose3d", "Spc", "bits_to_uint8", "conv3d", "conv_transpose3d", "coords_to_trilinear",
    "coords_to_trilinear_coeffs", "create_dense_spc", "current_to_legacy", "ensure_current_exsum",
    "feature_grids_to_spc", "generate_points", "morton_to_points", "octree_byte_lengths_from_pyramid",
    "points_to_corners", "points_to_morton", "quantize_points", "random_spc_octrees", "scan_octrees",
    "to_dense", "uint8_bits_sum", "uint8_to_bits", "unbatched_get_level_points",
    "unbatched_interpolate_trilinear", "unbatched_make_dual", "unbatched_mesh_to_spc", "unbatched_make_trinkets",
    "unbatched_pointcloud_to_spc", "unbatched_points_to_octree", "unbatched_query",
]
