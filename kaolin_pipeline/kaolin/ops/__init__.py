"""``kaolin.ops``: coordinates, mesh, point cloud and structured point cloud operations, conversions, batching."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.ops import batch, conversions, coords, gcn, mesh, pointcloud, random, reduction, spc, voxelgrid

__all__ = ["batch", "conversions", "coords", "gcn", "mesh", "pointcloud", "random", "reduction", "spc", "voxelgrid"]
__getattr__ = missing_names(__name__, __all__)
