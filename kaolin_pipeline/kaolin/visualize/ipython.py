"""``kaolin.visualize.IpyTurntableVisualizer``: :class:`kaolin_pipeline.visualize.turntable.TurntableVisualizer`
(a still image where ipywidgets/ipyevents are missing)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.visualize.turntable import TurntableVisualizer as IpyTurntableVisualizer

__all__ = ["IpyTurntableVisualizer"]
__getattr__ = missing_names(__name__, __all__)
