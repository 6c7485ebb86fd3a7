"""``kaolin.math``: quaternions and rigid transforms (``kaolin_pipeline.ops.quaternion``, ``ops.rigid``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.math import quat

__all__ = ["quat"]
__getattr__ = missing_names(__name__, __all__)
