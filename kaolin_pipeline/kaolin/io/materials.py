"""``kaolin.io.materials``: the material errors (``kaolin_pipeline.errors``), ``group_materials_by_name``
(``ops.material_groups``), ``process_materials_and_assignments`` (``io.material_assignments``), and Kaolin's
moved ``PBRMaterial`` name, which refuses as Kaolin's does."""
from kaolin_pipeline.errors import MaterialError, MaterialFileError, MaterialLoadError, MaterialNotFoundError
from kaolin_pipeline.io.material_assignments import process_materials_and_assignments
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.material_groups import group_materials_by_name

__all__ = ["MaterialError", "MaterialFileError", "MaterialLoadError", "MaterialNotFoundError", "PBRMaterial",
           "group_materials_by_name", "process_materials_and_assignments"]


class PBRMaterial:
    """Kaolin 0.18 moved this class to ``kaolin.render.materials.PBRMaterial``; constructing the old name raises
    ``DeprecationWarning`` as Kaolin's does."""

    def __init__(self, *args, **kwargs):
        raise DeprecationWarning("kaolin.io.materials.PBRMaterial moved: use kaolin.render.materials.PBRMaterial; "
                                 "for USD use kaolin.io.usd.import_material / export_material")


__getattr__ = missing_names(__name__, __all__)
