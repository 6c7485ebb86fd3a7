"""``kaolin.render``: legacy cameras, DIB-R rasterization, lighting and materials (``kaolin_pipeline.render``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.render import camera, lighting, materials, mesh, spc

__all__ = ["camera", "lighting", "materials", "mesh", "spc"]
__getattr__ = missing_names(__name__, __all__)
