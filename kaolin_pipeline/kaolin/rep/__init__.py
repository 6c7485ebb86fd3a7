"""``kaolin.rep``: the ``SurfaceMesh``, ``Spc`` and ``GaussianSplatModel`` (``kaolin_pipeline.splats``) containers,
``TensorContainerBase`` (``kaolin_pipeline.tensor_container``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.rep import spc
from kaolin_pipeline.kaolin.rep.spc import Spc
from kaolin_pipeline.kaolin.rep.surface_mesh import SurfaceMesh
from kaolin_pipeline.splats import GaussianSplatModel
from kaolin_pipeline.tensor_container import TensorContainerBase

__all__ = ["GaussianSplatModel", "Spc", "SurfaceMesh", "TensorContainerBase", "spc"]
__getattr__ = missing_names(__name__, __all__)
