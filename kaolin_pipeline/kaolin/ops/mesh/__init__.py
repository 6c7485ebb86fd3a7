"""``kaolin.ops.mesh``: per-face and per-vertex geometry, sampling, subdivision, inside/outside (``kaolin_pipeline.ops``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.ops.mesh import mesh, tetmesh, trianglemesh
from kaolin_pipeline.kaolin.ops.mesh.mesh import *  # noqa: F401,F403  (Kaolin re-exports both submodules here)
from kaolin_pipeline.kaolin.ops.mesh.tetmesh import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.ops.mesh.trianglemesh import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.ops.mesh.check_sign import check_sign  # noqa: E402  (the function hides the module, as in Kaolin)

__all__ = sorted(mesh.__all__ + tetmesh.__all__ + trianglemesh.__all__ + ["check_sign"])
__getattr__ = missing_names(__name__, __all__)
