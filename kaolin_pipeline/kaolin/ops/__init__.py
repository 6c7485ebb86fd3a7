"""``kaolin.ops``: coordinates, mesh and point cloud operations."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.ops import batch, conversions, coords, mesh, pointcloud, random

__all__ = ["batch", "conversions", "coords", "mesh", "pointcloud", "random"]
__getattr__ = missing_names(__name__, __all__)
