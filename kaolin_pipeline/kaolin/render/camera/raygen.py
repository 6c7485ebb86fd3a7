"""``kaolin.render.camera.raygen``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.render.camera.raygen import (
    generate_centered_custom_resolution_pixel_coords,
    generate_centered_pixel_coords,
    generate_default_grid,
    generate_ortho_rays,
    generate_pinhole_rays,
    generate_rays,
)

__all__ = ["generate_centered_custom_resolution_pixel_coords", "generate_centered_pixel_coords", "generate_default_grid", "generate_ortho_rays", "generate_pinhole_rays", "generate_rays"]
__getattr__ = missing_names(__name__, __all__)
