"""Inspect in 3D: the Training and Dataset Visualizers as one self-contained HTML page (three.js, WebGL).

* :func:`write_view` / ``kaolin-pipeline view PATH``: a run folder, a Timelapse log, a dataset
  root or a single mesh / point-cloud / voxel file → one HTML file that works from ``file://``.
* :func:`show`: the same viewer inline in Jupyter (an iframe ``srcdoc``; no widget extension).
"""
from kaolin_pipeline.visualize.notebook import Viewer, show
from kaolin_pipeline.visualize.view import write_view

__all__ = ["Viewer", "show", "write_view"]
