"""``kaolin.render.lighting.sh``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.render.lighting import project_onto_sh9, sh9_diffuse, sh9_irradiance

__all__ = ["project_onto_sh9", "sh9_diffuse", "sh9_irradiance"]
__getattr__ = missing_names(__name__, __all__)
