"""``kaolin.render.materials``: ``PBRMaterial`` (:class:`kaolin_pipeline.structures.PBRMaterial`, Kaolin's field
names; textures ``(C, H, W)``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.structures import PBRMaterial

__all__ = ["PBRMaterial"]
__getattr__ = missing_names(__name__, __all__)
