"""``kaolin.render.spc``: ray tracing through structured point clouds (``kaolin_pipeline.render.spc``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.render.spc import raytrace
from kaolin_pipeline.kaolin.render.spc.raytrace import *  # noqa: F401,F403  (Kaolin re-exports raytrace here)

__all__ = sorted(raytrace.__all__)
__getattr__ = missing_names(__name__, __all__)
