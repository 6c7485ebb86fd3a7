"""``kaolin.render.mesh.utils``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.render.lighting import spherical_harmonic_lighting
from kaolin_pipeline.render.rasterize import prepare_vertices
from kaolin_pipeline.render.texture import texture_mapping

__all__ = ["prepare_vertices", "spherical_harmonic_lighting", "texture_mapping"]
__getattr__ = missing_names(__name__, __all__)
