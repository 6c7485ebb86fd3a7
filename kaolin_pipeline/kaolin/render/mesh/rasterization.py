"""``kaolin.render.mesh.rasterization``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.render.rasterize import rasterize

__all__ = ["rasterize"]
__getattr__ = missing_names(__name__, __all__)
