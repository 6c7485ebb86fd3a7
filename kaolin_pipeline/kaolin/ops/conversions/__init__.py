"""``kaolin.ops.conversions``: conversions between representations."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.ops.conversions import pointcloud
from kaolin_pipeline.kaolin.ops.conversions.pointcloud import unbatched_pointcloud_to_spc

__all__ = ["pointcloud", "unbatched_pointcloud_to_spc"]
__getattr__ = missing_names(__name__, __all__)
