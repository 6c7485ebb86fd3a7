"""``kaolin.visualize``: ``Timelapse`` and ``TimelapseParser`` over ``kaolin_pipeline.export.timelapse``;
the notebook controllers (``IpyTurntableVisualizer``, ``IpyFirstPersonVisualizer``) over
``kaolin_pipeline.visualize``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.visualize import ipython
from kaolin_pipeline.kaolin.visualize.ipython import (BaseIpyVisualizer, IpyFirstPersonVisualizer,
                                                      IpyTurntableVisualizer)
from kaolin_pipeline.kaolin.visualize.timelapse import Timelapse
from kaolin_pipeline.kaolin.visualize.timelapse_parser import TimelapseParser

__all__ = ["BaseIpyVisualizer", "IpyFirstPersonVisualizer", "IpyTurntableVisualizer", "Timelapse", "TimelapseParser",
           "ipython"]
__getattr__ = missing_names(__name__, __all__)
