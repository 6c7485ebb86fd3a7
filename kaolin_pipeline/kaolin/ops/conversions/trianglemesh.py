"""``kaolin.ops.conversions.trianglemesh``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.conversions.grids import trianglemeshes_to_voxelgrids
from kaolin_pipeline.ops.spc.mesh import unbatched_mesh_to_spc

__all__ = ["trianglemeshes_to_voxelgrids", "unbatched_mesh_to_spc"]
__getattr__ = missing_names(__name__, __all__)
