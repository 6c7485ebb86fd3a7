"""``kaolin.metrics.tetmesh`` (``kaolin_pipeline.ops.tetmesh``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.tetmesh import amips, equivolume, tetrahedron_volume

__all__ = ["amips", "equivolume", "tetrahedron_volume"]
__getattr__ = missing_names(__name__, __all__)
