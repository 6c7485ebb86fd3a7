"""``kaolin.ops.mesh.check_sign``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.winding import check_sign

__all__ = ["check_sign"]
__getattr__ = missing_names(__name__, __all__)
