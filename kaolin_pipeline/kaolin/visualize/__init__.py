"""``kaolin.visualize``: ``Timelapse`` and ``TimelapseParser`` over ``kaolin_pipeline.export.timelapse``;
``IpyTurntableVisualizer`` over ``kaolin_pipeline.visualize.turntable``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.visualize.ipython import IpyTurntableVisualizer
from kaolin_pipeline.kaolin.visualize.timelapse import Timelapse
from kaolin_pipeline.kaolin.visualize.timelapse_parser import TimelapseParser

__all__ = ["IpyTurntableVisualizer", "Timelapse", "TimelapseParser"]
__getattr__ = missing_names(__name__, __all__)
