"""``kaolin.io.usd`` over :mod:`kaolin_pipeline.io.usd`, with Kaolin's module layout: :mod:`.utils` (stages,
scene paths, time samples), :mod:`.materials`, :mod:`.transform`, :mod:`.subset`, :mod:`.mesh`, :mod:`.pointcloud`,
:mod:`.voxelgrid`. Every name of those is also here, as in Kaolin.

Kaolin's rules: ``export_*`` write a whole new file (``FileExistsError`` without ``overwrite=True``);
``add_*`` author onto an open ``Usd.Stage`` without saving it; readers take a file path or a ``Usd.Stage``.
:mod:`.materials` reads and writes one UsdPreviewSurface material at a scene path (``export_material``,
``import_material``). Not provided: Kaolin's physics materials (``kaolin.physics`` is out of scope) and
Gaussian splats.
"""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.io.usd import materials, mesh, pointcloud, subset, transform, utils, voxelgrid
from kaolin_pipeline.kaolin.io.usd.materials import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.io.usd.mesh import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.io.usd.pointcloud import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.io.usd.subset import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.io.usd.transform import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.io.usd.utils import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.io.usd.voxelgrid import *  # noqa: F401,F403

__all__ = sorted(materials.__all__ + mesh.__all__ + pointcloud.__all__ + subset.__all__ + transform.__all__
                 + utils.__all__ + voxelgrid.__all__)

__getattr__ = missing_names(__name__, __all__)
