"""``kaolin.ops.conversions``: conversions between representations (``kaolin_pipeline.ops.conversions``,
``kaolin_pipeline.ops.spc``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.ops.conversions import pointcloud, sdf, tetmesh, trianglemesh, voxelgrid
from kaolin_pipeline.kaolin.ops.conversions.pointcloud import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.ops.conversions.sdf import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.ops.conversions.tetmesh import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.ops.conversions.trianglemesh import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.ops.conversions.voxelgrid import *  # noqa: F401,F403

__all__ = sorted(["pointcloud", "sdf", "tetmesh", "trianglemesh", "voxelgrid", *pointcloud.__all__, *sdf.__all__,
                  *tetmesh.__all__,
                  *trianglemesh.__all__, *voxelgrid.__all__])
__getattr__ = missing_names(__name__, __all__)
