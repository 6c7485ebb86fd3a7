"""``kaolin.render.materials``: ``Material`` and ``PBRMaterial`` (:mod:`kaolin_pipeline.structures`, Kaolin's
fields; textures ``(C, H, W)``) and the random materials of Kaolin's tests (:mod:`kaolin_pipeline.testing`)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.structures import Material, PBRMaterial
from kaolin_pipeline.testing import random_material_colorspaces, random_material_textures, random_material_values

__all__ = ["Material", "PBRMaterial", "random_material_colorspaces", "random_material_textures",
           "random_material_values"]
__getattr__ = missing_names(__name__, __all__)
