"""``kaolin.metrics.trianglemesh``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.mesh import average_edge_length, uniform_laplacian_smoothing
from kaolin_pipeline.ops.mesh_distance import point_to_mesh_distance

__all__ = ["average_edge_length", "point_to_mesh_distance", "uniform_laplacian_smoothing"]
__getattr__ = missing_names(__name__, __all__)
