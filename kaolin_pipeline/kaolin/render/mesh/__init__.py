"""``kaolin.render.mesh``: DIB-R rasterization, soft masks, texture mapping and SH lighting."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.render.mesh.dibr import dibr_rasterization, dibr_soft_mask
from kaolin_pipeline.kaolin.render.mesh.rasterization import rasterize
from kaolin_pipeline.kaolin.render.mesh.utils import prepare_vertices, spherical_harmonic_lighting, texture_mapping

__all__ = ["dibr_rasterization", "dibr_soft_mask", "prepare_vertices", "rasterize", "spherical_harmonic_lighting",
           "texture_mapping"]
__getattr__ = missing_names(__name__, __all__)
