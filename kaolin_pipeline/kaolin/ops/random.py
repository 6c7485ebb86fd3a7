"""``kaolin.ops.random``: random test data."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.spc.random import random_spc_octrees

__all__ = ["random_spc_octrees"]
__getattr__ = missing_names(__name__, __all__)
