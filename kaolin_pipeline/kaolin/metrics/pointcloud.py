"""``kaolin.metrics.pointcloud``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.metrics import chamfer_distance, f_score, sided_distance

__all__ = ["chamfer_distance", "f_score", "sided_distance"]
__getattr__ = missing_names(__name__, __all__)
