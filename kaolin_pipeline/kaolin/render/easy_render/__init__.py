"""``kaolin.render.easy_render``: ``render_mesh`` and its defaults over :mod:`kaolin_pipeline.render.easy_render`
(our rasterizer, no nvdiffrast)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.render.easy_render import common, mesh
from kaolin_pipeline.kaolin.render.easy_render.common import default_camera, default_lighting, default_material
from kaolin_pipeline.kaolin.render.easy_render.mesh import RenderPass, render_mesh

__all__ = ["RenderPass", "default_camera", "default_lighting", "default_material", "render_mesh"]
__getattr__ = missing_names(__name__, __all__)
