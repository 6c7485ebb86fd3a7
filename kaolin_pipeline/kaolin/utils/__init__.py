"""``kaolin.utils``: ``testing`` (``kaolin_pipeline.testing``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.utils import testing

__all__ = ["testing"]
__getattr__ = missing_names(__name__, __all__)
