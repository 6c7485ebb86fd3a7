"""``kaolin.render.camera``: the legacy camera functions only (Kaolin's ``Camera`` class is not provided)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.render.camera import legacy
from kaolin_pipeline.kaolin.render.camera.legacy import *  # noqa: F401,F403  (Kaolin re-exports them here)

__all__ = list(legacy.__all__)
__getattr__ = missing_names(__name__, __all__)
