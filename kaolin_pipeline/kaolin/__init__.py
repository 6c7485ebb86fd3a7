"""Kaolin's module tree over kaolin-pipeline: code written for NVIDIA Kaolin runs here, on a CPU.

``import kaolin_pipeline.kaolin as kal`` gives, under Kaolin 0.18's paths, everything this project
implements (``kal.io.obj.import_mesh``, ``kal.render.mesh.dibr_rasterization``, ``kal.rep.SurfaceMesh``...).
Each module is a thin mapping onto ``kaolin_pipeline``: no second implementation. A Kaolin name that is
not provided raises an ``AttributeError`` saying so. ``python -m kaolin_pipeline.kaolin SCRIPT.py``
runs a script with ``import kaolin`` resolving to this package.
"""
from kaolin_pipeline.kaolin import io, math, metrics, ops, render, rep, utils, visualize
from kaolin_pipeline.kaolin._missing import missing_names

#: The Kaolin release whose API this layer follows.
__version__ = "0.18.0"

__all__ = ["io", "math", "metrics", "ops", "render", "rep", "utils", "visualize"]
__getattr__ = missing_names(__name__, __all__)
