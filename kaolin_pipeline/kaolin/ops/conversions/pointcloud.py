"""``kaolin.ops.conversions.pointcloud``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.spc.pointcloud import unbatched_pointcloud_to_spc

__all__ = ["unbatched_pointcloud_to_spc"]
__getattr__ = missing_names(__name__, __all__)
