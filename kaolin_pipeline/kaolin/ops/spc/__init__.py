"""``kaolin.ops.spc``: structured point clouds (octrees) (``kaolin_pipeline.ops.spc``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.ops.spc import convolution, exsum_compat, points, spc, uint8
from kaolin_pipeline.kaolin.ops.spc.convolution import *  # noqa: F401,F403  (Kaolin re-exports its submodules here)
from kaolin_pipeline.kaolin.ops.spc.points import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.ops.spc.spc import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.ops.spc.uint8 import *  # noqa: F401,F403

__all__ = sorted(convolution.__all__ + points.__all__ + spc.__all__ + uint8.__all__)
__getattr__ = missing_names(__name__, __all__)
