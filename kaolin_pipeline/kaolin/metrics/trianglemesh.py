"""``kaolin.metrics.trianglemesh``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.mesh import average_edge_length, uniform_laplacian_smoothing
from kaolin_pipeline.ops.mesh_distance import point_to_mesh_distance
from kaolin_pipeline.ops.mesh_distance import unbatched_point_to_mesh_distance as _unbatched_naive_point_to_mesh_distance

__all__ = ["average_edge_length", "point_to_mesh_distance", "uniform_laplacian_smoothing"]
# Kaolin's tests import its pure-PyTorch reference by this private name; ours is the same computation.
__getattr__ = missing_names(__name__, __all__ + ["_unbatched_naive_point_to_mesh_distance"])
