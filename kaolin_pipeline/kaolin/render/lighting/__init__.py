"""``kaolin.render.lighting``: SH9 and spherical-Gaussian lighting (``kaolin_pipeline.render.lighting``,
``kaolin_pipeline.render.sg_lighting``).

Kaolin's ``project_onto_sh9`` basis is the standard real SH one; the renderer's DIB-R lighting
(``kaolin.render.mesh.spherical_harmonic_lighting``) keeps its own constants and signs.
"""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.render.lighting import sg, sh
from kaolin_pipeline.kaolin.render.lighting.sg import *  # noqa: F401,F403
from kaolin_pipeline.kaolin.render.lighting.sh import *  # noqa: F401,F403

__all__ = sorted(sg.__all__ + sh.__all__)
__getattr__ = missing_names(__name__, __all__ + ["sg", "sh"])
