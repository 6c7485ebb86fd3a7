"""``kaolin.render.mesh``: DIB-R rasterization, DefTet's sparse rendering, soft masks, texture mapping and SH lighting."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.render.mesh.deftet import deftet_sparse_render
from kaolin_pipeline.kaolin.render.mesh.dibr import dibr_rasterization, dibr_soft_mask
from kaolin_pipeline.kaolin.render.mesh.rasterization import rasterize
from kaolin_pipeline.kaolin.render.mesh.utils import prepare_vertices, spherical_harmonic_lighting, texture_mapping

__all__ = ["deftet_sparse_render", "dibr_rasterization", "dibr_soft_mask", "prepare_vertices", "rasterize", "spherical_harmonic_lighting",
           "texture_mapping"]
__getattr__ = missing_names(__name__, __all__)
