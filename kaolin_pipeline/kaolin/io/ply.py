"""``kaolin.io.ply``: 3D Gaussian splats in PLY files (:mod:`kaolin_pipeline.io.gaussian_ply`)."""
from kaolin_pipeline.io.gaussian_ply import export_gaussiancloud, import_gaussiancloud
from kaolin_pipeline.kaolin._missing import missing_names

__all__ = ["export_gaussiancloud", "import_gaussiancloud"]
__getattr__ = missing_names(__name__, __all__)
