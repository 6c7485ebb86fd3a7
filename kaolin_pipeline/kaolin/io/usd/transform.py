"""``kaolin.io.usd.transform``: a prim's local-to-world matrix (:mod:`kaolin_pipeline.io.usd.transform`)."""
from kaolin_pipeline.io.usd.transform import get_local_to_world_transform, set_local_to_world_transform

__all__ = ["get_local_to_world_transform", "set_local_to_world_transform"]
