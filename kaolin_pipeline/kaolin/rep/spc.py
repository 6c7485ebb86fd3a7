"""``kaolin.rep.spc``: the ``Spc`` container."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.spc.container import Spc

__all__ = ["Spc"]
__getattr__ = missing_names(__name__, __all__)
