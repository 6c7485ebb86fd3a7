"""``kaolin.rep``: the ``SurfaceMesh`` container."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.rep.surface_mesh import SurfaceMesh

__all__ = ["SurfaceMesh"]
__getattr__ = missing_names(__name__, __all__)
