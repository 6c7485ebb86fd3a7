"""``kaolin.io.utils``: the polygon handlers (:mod:`kaolin_pipeline.io.polygons`) and ``NonHomogeneousMeshError``."""
from kaolin_pipeline.errors import NonHomogeneousMeshError
from kaolin_pipeline.io.polygons import (
    heterogeneous_mesh_handler_naive_homogenize,
    heterogeneous_mesh_handler_skip,
    mesh_handler_naive_triangulate,
)
from kaolin_pipeline.kaolin._missing import missing_names

__all__ = ["NonHomogeneousMeshError", "heterogeneous_mesh_handler_naive_homogenize", "heterogeneous_mesh_handler_skip",
           "mesh_handler_naive_triangulate"]
__getattr__ = missing_names(__name__, __all__)
