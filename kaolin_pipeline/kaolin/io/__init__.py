"""``kaolin.io``: OBJ, OFF, glTF and USD readers and writers, ``import_mesh`` by extension, ShapeNet datasets, polygon handlers,
synthetic views (``kaolin_pipeline.io``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.io import gltf, materials, obj, off, render, shapenet, usd, utils
from kaolin_pipeline.kaolin.io.mesh import import_mesh

__all__ = ["gltf", "import_mesh", "materials", "obj", "off", "render", "shapenet", "usd", "utils"]
__getattr__ = missing_names(__name__, __all__)
