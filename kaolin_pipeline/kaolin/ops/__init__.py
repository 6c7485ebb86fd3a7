"""``kaolin.ops``: coordinates, mesh and point cloud operations."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.ops import coords, mesh, pointcloud

__all__ = ["coords", "mesh", "pointcloud"]
__getattr__ = missing_names(__name__, __all__)
