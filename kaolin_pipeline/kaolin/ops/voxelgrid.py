"""``kaolin.ops.voxelgrid`` (``kaolin_pipeline.ops.voxelgrid``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.voxelgrid import downsample, extract_odms, extract_surface, fill, project_odms

__all__ = ["downsample", "extract_odms", "extract_surface", "fill", "project_odms"]
__getattr__ = missing_names(__name__, __all__)
