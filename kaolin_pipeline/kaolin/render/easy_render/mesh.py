"""``kaolin.render.easy_render.mesh``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.render.easy_render import RenderPass, render_mesh

__all__ = ["RenderPass", "render_mesh"]
__getattr__ = missing_names(__name__, __all__)
