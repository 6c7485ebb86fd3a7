"""``kaolin.io.render``: the Kaolin App's synthetic views (:mod:`kaolin_pipeline.io.render`)."""
from kaolin_pipeline.io.render import import_synthetic_view
from kaolin_pipeline.kaolin._missing import missing_names

__all__ = ["import_synthetic_view"]
__getattr__ = missing_names(__name__, __all__)
