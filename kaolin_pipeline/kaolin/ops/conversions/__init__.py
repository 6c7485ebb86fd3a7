"""``kaolin.ops.conversions``: conversions between representations (``kaolin_pipeline.ops.conversions``,
``kaolin_pipeline.ops.spc``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.ops.conversions import pointcloud, tetmesh
from kaolin_pipeline.kaolin.ops.conversions.pointcloud import unbatched_pointcloud_to_spc
from kaolin_pipeline.kaolin.ops.conversions.tetmesh import *  # noqa: F401,F403

__all__ = sorted(["pointcloud", "tetmesh", "unbatched_pointcloud_to_spc", *tetmesh.__all__])
__getattr__ = missing_names(__name__, __all__)
