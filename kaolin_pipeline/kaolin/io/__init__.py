"""``kaolin.io``: OBJ and USD readers and writers, synthetic views (``kaolin_pipeline.io``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.io import obj, render, usd

__all__ = ["obj", "render", "usd"]
__getattr__ = missing_names(__name__, __all__)
