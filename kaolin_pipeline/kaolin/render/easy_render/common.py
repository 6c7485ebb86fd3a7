"""``kaolin.render.easy_render.common``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.render.easy_render import default_camera, default_lighting, default_material

__all__ = ["default_camera", "default_lighting", "default_material"]
__getattr__ = missing_names(__name__, __all__)
