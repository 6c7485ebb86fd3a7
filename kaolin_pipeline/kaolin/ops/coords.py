"""``kaolin.ops.coords``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.coords import cartesian2spherical, spherical2cartesian

__all__ = ["cartesian2spherical", "spherical2cartesian"]
__getattr__ = missing_names(__name__, __all__)
