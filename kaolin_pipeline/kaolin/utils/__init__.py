"""``kaolin.utils``: ``testing`` (``kaolin_pipeline.testing``) and ``log`` (``kaolin_pipeline.logs``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.utils import log, testing

__all__ = ["log", "testing"]
__getattr__ = missing_names(__name__, __all__)
