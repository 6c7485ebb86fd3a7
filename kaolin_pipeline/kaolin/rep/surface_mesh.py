"""``kaolin.rep.SurfaceMesh``: :class:`kaolin_pipeline.ops.surface_mesh.SurfaceMesh` (NONE, FIXED and LIST
batching, computed attributes, ``cat``/``flatten``, ``transform``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.surface_mesh import SurfaceMesh

__all__ = ["SurfaceMesh"]
__getattr__ = missing_names(__name__, __all__)
