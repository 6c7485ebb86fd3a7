"""``kaolin.metrics.voxelgrid``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.metrics import iou

__all__ = ["iou"]
__getattr__ = missing_names(__name__, __all__)
