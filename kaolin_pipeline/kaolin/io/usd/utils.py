"""``kaolin.io.usd.utils``: stages and scene paths (:mod:`kaolin_pipeline.io.usd.scene`)."""
from kaolin_pipeline.io.usd.scene import create_stage, get_authored_time_samples, get_scene_paths

__all__ = ["create_stage", "get_authored_time_samples", "get_scene_paths"]
