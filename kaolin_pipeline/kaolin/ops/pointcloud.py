"""``kaolin.ops.pointcloud``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.pointcloud import center_points

__all__ = ["center_points"]
__getattr__ = missing_names(__name__, __all__)
