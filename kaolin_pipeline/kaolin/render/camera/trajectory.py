"""``kaolin.render.camera.trajectory``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.render.camera.trajectory import (
    camera_path_generator,
    loop_camera_path_generator,
)

__all__ = ["camera_path_generator", "loop_camera_path_generator"]
__getattr__ = missing_names(__name__, __all__)
