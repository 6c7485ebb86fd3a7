"""``kaolin.render.spc.raytrace``: ray tracing through an SPC and reductions over ray packs."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.render.spc import (cumprod, cumsum, diff, exponential_integration, mark_first_hit,
                                        mark_pack_boundaries, prod_reduce, sum_reduce, unbatched_raytrace)

__all__ = ["cumprod", "cumsum", "diff", "exponential_integration", "mark_first_hit", "mark_pack_boundaries",
           "prod_reduce", "sum_reduce", "unbatched_raytrace"]
__getattr__ = missing_names(__name__, __all__)
