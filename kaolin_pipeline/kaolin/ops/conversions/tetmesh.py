"""``kaolin.ops.conversions.tetmesh``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.conversions.tetmesh import marching_tetrahedra

__all__ = ["marching_tetrahedra"]
__getattr__ = missing_names(__name__, __all__)
