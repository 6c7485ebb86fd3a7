"""``kaolin.ops.conversions.trianglemesh``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.conversions.grids import trianglemeshes_to_voxelgrids

__all__ = ["trianglemeshes_to_voxelgrids"]
__getattr__ = missing_names(__name__, __all__)
