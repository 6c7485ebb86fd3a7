"""``kaolin.ops.conversions.voxelgrid``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.conversions.grids import voxelgrids_to_cubic_meshes, voxelgrids_to_trianglemeshes

__all__ = ["voxelgrids_to_cubic_meshes", "voxelgrids_to_trianglemeshes"]
__getattr__ = missing_names(__name__, __all__)
