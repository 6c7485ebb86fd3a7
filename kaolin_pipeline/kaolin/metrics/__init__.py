"""``kaolin.metrics``: distances and overlaps (``kaolin_pipeline.ops``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.metrics import pointcloud, render, tetmesh, trianglemesh, voxelgrid

__all__ = ["pointcloud", "render", "tetmesh", "trianglemesh", "voxelgrid"]
__getattr__ = missing_names(__name__, __all__)
