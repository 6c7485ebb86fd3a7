"""``kaolin.io.usd.materials``: one UsdPreviewSurface material per call, in Kaolin's layout
(:mod:`kaolin_pipeline.io.usd.material_files`)."""
from kaolin_pipeline.io.usd.material_files import (
    UNSUPPORTED_MATERIAL_INPUTS,
    export_material,
    import_material,
    read_usd_preview_surface,
    write_usd_preview_surface,
)
from kaolin_pipeline.kaolin._missing import missing_names

__all__ = ["export_material", "import_material", "read_usd_preview_surface", "write_usd_preview_surface"]
__getattr__ = missing_names(__name__, __all__ + ["UNSUPPORTED_MATERIAL_INPUTS"])
