"""``kaolin.ops.spc.spc``: scanning and decoding octrees, queries, dual octrees, dense grids."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.spc.dense import feature_grids_to_spc, to_dense
from kaolin_pipeline.ops.spc.dual import unbatched_make_dual, unbatched_make_trinkets
from kaolin_pipeline.ops.spc.octree import generate_points, scan_octrees
from kaolin_pipeline.ops.spc.query import unbatched_get_level_points, unbatched_query

__all__ = ["feature_grids_to_spc", "generate_points", "scan_octrees", "to_dense", "unbatched_get_level_points",
           "unbatched_make_dual", "unbatched_make_trinkets", "unbatched_query"]
__getattr__ = missing_names(__name__, __all__)
