"""``kaolin.ops.conversions.pointcloud``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.conversions.grids import pointclouds_to_voxelgrids
from kaolin_pipeline.ops.spc.pointcloud import unbatched_pointcloud_to_spc

__all__ = ["pointclouds_to_voxelgrids", "unbatched_pointcloud_to_spc"]
__getattr__ = missing_names(__name__, __all__)
