"""``kaolin.ops.conversions.sdf``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.conversions.sdf import sdf_to_voxelgrids

__all__ = ["sdf_to_voxelgrids"]
__getattr__ = missing_names(__name__, __all__)
