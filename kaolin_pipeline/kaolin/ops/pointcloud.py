"""``kaolin.ops.pointcloud``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.pointcloud import center_points, farthest_point_sampling

__all__ = ["center_points", "farthest_point_sampling"]
__getattr__ = missing_names(__name__, __all__)
