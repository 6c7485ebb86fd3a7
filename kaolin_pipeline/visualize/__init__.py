"""Inspect in 3D: the Training and Dataset Visualizers as one self-contained HTML page (three.js, WebGL).

* :func:`write_view` / ``kaolin-pipeline view PATH``: a run folder, a Timelapse log, a dataset
  root or a single mesh / point-cloud / voxel file → one HTML file that works from ``file://``.
* :func:`show`: the same viewer inline in Jupyter (an iframe ``srcdoc``; no widget extension).
"""
from kaolin_pipeline.visualize.notebook import Viewer, show


def __getattr__(name: str):
    # view.py imports export.report, which imports this package's modules: load it on first use
    if name == "write_view":
        from kaolin_pipeline.visualize.view import write_view

        return write_view
    raise AttributeError(f"module 'kaolin_pipeline.visualize' has no attribute {name!r}")


__all__ = ["Viewer", "show", "write_view"]
