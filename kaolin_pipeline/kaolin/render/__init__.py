"""``kaolin.render``: cameras (legacy and current), easy_render, DIB-R rasterization, lighting and materials (``kaolin_pipeline.render``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.render import camera, easy_render, lighting, materials, mesh, spc

__all__ = ["camera", "easy_render", "lighting", "materials", "mesh", "spc"]
__getattr__ = missing_names(__name__, __all__)
