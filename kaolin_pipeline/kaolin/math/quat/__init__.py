"""``kaolin.math.quat``: every name of its submodules, as Kaolin re-exports them."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.math.quat import angle_axis, euclidean, matrix44, quaternion, rotation33, transform, util
from kaolin_pipeline.kaolin.math.quat.angle_axis import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.math.quat.euclidean import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.math.quat.matrix44 import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.math.quat.quaternion import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.math.quat.rotation33 import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.math.quat.transform import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.math.quat.util import *  # noqa: F401,F403

__all__ = sorted(angle_axis.__all__ + euclidean.__all__ + matrix44.__all__ + quaternion.__all__
                 + rotation33.__all__ + transform.__all__ + util.__all__)
__getattr__ = missing_names(__name__, __all__)
