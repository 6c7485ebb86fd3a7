"""``kaolin.visualize``: ``Timelapse`` (``kaolin_pipeline.export.timelapse``) and ``TimelapseParser``."""
from kaolin_pipeline.export.timelapse import Timelapse
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.visualize.timelapse_parser import TimelapseParser

__all__ = ["Timelapse", "TimelapseParser"]
__getattr__ = missing_names(__name__, __all__)
