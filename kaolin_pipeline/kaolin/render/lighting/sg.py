"""``kaolin.render.lighting.sg``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.render.sg_lighting import (
    SgLightingParameters,
    approximate_sg_integral,
    cosine_lobe_sg,
    fresnel,
    sg_diffuse_fitted,
    sg_diffuse_inner_product,
    sg_direction_from_azimuth_elevation,
    sg_distribution_term,
    sg_from_sun,
    sg_irradiance_fitted,
    sg_irradiance_inner_product,
    sg_warp_distribution,
    sg_warp_specular_term,
    unbatched_reduced_sg_inner_product,
    unbatched_sg_inner_product,
)

# Kaolin's ``from .sg import *`` leaves out the two ``unbatched_*`` helpers; they stay reachable here.
__all__ = ["SgLightingParameters", "approximate_sg_integral", "cosine_lobe_sg", "fresnel", "sg_diffuse_fitted",
           "sg_diffuse_inner_product", "sg_direction_from_azimuth_elevation", "sg_distribution_term", "sg_from_sun",
           "sg_irradiance_fitted", "sg_irradiance_inner_product", "sg_warp_distribution", "sg_warp_specular_term"]
__getattr__ = missing_names(__name__, __all__ + ["unbatched_reduced_sg_inner_product", "unbatched_sg_inner_product"])
