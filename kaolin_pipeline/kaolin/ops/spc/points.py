"""``kaolin.ops.spc.points``: morton codes, quantisation, corners, octrees from points, trilinear interpolation."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.spc.interpolate import (coords_to_trilinear, coords_to_trilinear_coeffs,
                                                 unbatched_interpolate_trilinear)
from kaolin_pipeline.ops.spc.morton import morton_to_points, points_to_corners, points_to_morton, quantize_points
from kaolin_pipeline.ops.spc.octree import create_dense_spc, unbatched_points_to_octree

__all__ = ["coords_to_trilinear", "coords_to_trilinear_coeffs", "create_dense_spc", "morton_to_points",
           "points_to_corners", "points_to_morton", "quantize_points", "unbatched_interpolate_trilinear",
           "unbatched_points_to_octree"]
__getattr__ = missing_names(__name__, __all__)
