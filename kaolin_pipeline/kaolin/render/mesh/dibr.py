"""``kaolin.render.mesh.dibr``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.render.dibr import dibr_rasterization
from kaolin_pipeline.render.soft_mask import dibr_soft_mask

__all__ = ["dibr_rasterization", "dibr_soft_mask"]
__getattr__ = missing_names(__name__, __all__)
