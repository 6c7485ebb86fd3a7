"""``kaolin.metrics.pointcloud``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.metrics import chamfer_distance, f_score, nearest_distances, sided_distance

__all__ = ["chamfer_distance", "f_score", "sided_distance"]
__getattr__ = missing_names(__name__, __all__ + ["_sided_distance"])


def _sided_distance(p1, p2):
    """Kaolin's brute-force reference of :func:`sided_distance`, which its tests import: the ``(B, N)`` squared
    distances alone, searched by brute force (``nearest_distances(p1, p2, method="brute")``)."""
    return nearest_distances(p1, p2, method="brute")[0]
