"""``kaolin.io``: OBJ, OFF, glTF and USD readers and writers, Gaussian splats in PLY, ``import_mesh`` by
extension, the ShapeNet, ModelNet and SHREC16 datasets, Kaolin's caching dataset wrappers, polygon handlers, image
files and materials, synthetic views (``kaolin_pipeline.io``, ``kaolin_pipeline.datasets``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.io import (dataset, gltf, materials, modelnet, obj, off, ply, render, shapenet, shrec, usd,
                                       utils)
from kaolin_pipeline.kaolin.io.mesh import import_mesh

__all__ = ["dataset", "gltf", "import_mesh", "materials", "modelnet", "obj", "off", "ply", "render", "shapenet",
           "shrec", "usd", "utils"]
__getattr__ = missing_names(__name__, __all__)
