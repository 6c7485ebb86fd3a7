"""``kaolin.io.utils``: the polygon handlers (:mod:`kaolin_pipeline.io.polygons`), ``NonHomogeneousMeshError``,
``read_image`` / ``write_image`` / ``TextureExporter`` (:mod:`kaolin_pipeline.io.images`)."""
from kaolin_pipeline.errors import NonHomogeneousMeshError
from kaolin_pipeline.io.images import TextureExporter, read_image, write_image
from kaolin_pipeline.io.polygons import (
    heterogeneous_mesh_handler_naive_homogenize,
    heterogeneous_mesh_handler_skip,
    mesh_handler_naive_triangulate,
)
from kaolin_pipeline.kaolin._missing import missing_names

__all__ = ["NonHomogeneousMeshError", "TextureExporter", "heterogeneous_mesh_handler_naive_homogenize",
           "heterogeneous_mesh_handler_skip", "mesh_handler_naive_triangulate", "read_image", "write_image"]
__getattr__ = missing_names(__name__, __all__)
