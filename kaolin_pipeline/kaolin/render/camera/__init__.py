"""``kaolin.render.camera``: Kaolin's camera API (``Camera``, extrinsics, pinhole and orthographic intrinsics,
rays, trajectories, coordinate systems) and the legacy functions, over :mod:`kaolin_pipeline.render.camera`."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.render.camera import (
    camera, coordinates, extrinsics, extrinsics_backends, intrinsics, intrinsics_ortho, intrinsics_pinhole, legacy,
    raygen, trajectory,
)
from kaolin_pipeline.kaolin.render.camera.camera import *  # noqa: F401,F403  (Kaolin re-exports its submodules here)
from kaolin_pipeline.kaolin.render.camera.coordinates import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.render.camera.extrinsics import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.render.camera.intrinsics import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.render.camera.intrinsics_ortho import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.render.camera.intrinsics_pinhole import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.render.camera.legacy import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.render.camera.raygen import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.render.camera.trajectory import *  # noqa: F401,F403

_SUBMODULES = (camera, coordinates, extrinsics, intrinsics, intrinsics_ortho, intrinsics_pinhole, legacy, raygen,
               trajectory)
__all__ = sorted({name for module in _SUBMODULES for name in module.__all__})
__getattr__ = missing_names(__name__, __all__)
