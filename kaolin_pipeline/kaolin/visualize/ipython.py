"""``kaolin.visualize.ipython``: the notebook camera controllers of ``kaolin_pipeline.visualize``
(``turntable``, ``first_person``, their base in ``interactive``; a still image where ipywidgets/ipyevents are
missing) and ``quick_viz`` (``visualize.grid``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.visualize.first_person import FirstPersonVisualizer as IpyFirstPersonVisualizer
from kaolin_pipeline.visualize.grid import quick_viz
from kaolin_pipeline.visualize.interactive import BaseVisualizer as BaseIpyVisualizer
from kaolin_pipeline.visualize.interactive import rotate_around_axis
from kaolin_pipeline.visualize.turntable import TurntableVisualizer as IpyTurntableVisualizer

__all__ = ["BaseIpyVisualizer", "IpyFirstPersonVisualizer", "IpyTurntableVisualizer", "quick_viz",
           "rotate_around_axis"]
__getattr__ = missing_names(__name__, __all__)
