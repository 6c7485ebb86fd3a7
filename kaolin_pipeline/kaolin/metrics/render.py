"""``kaolin.metrics.render``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.metrics import mask_iou

__all__ = ["mask_iou"]
__getattr__ = missing_names(__name__, __all__)
