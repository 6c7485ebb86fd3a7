"""``kaolin.io``: OBJ, glTF and USD readers and writers, polygon handlers, synthetic views (``kaolin_pipeline.io``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.io import obj, render, usd, utils

__all__ = ["obj", "render", "usd", "utils"]
__getattr__ = missing_names(__name__, __all__)
