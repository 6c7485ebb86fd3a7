"""``kaolin.io.off``: ``import_mesh`` is :func:`kaolin_pipeline.io.off.read_off_polygons` (polygons kept, face
colours), ``return_type`` its named tuple."""
from kaolin_pipeline.io.off import OffPolygons as return_type
from kaolin_pipeline.io.off import read_off_polygons as import_mesh
from kaolin_pipeline.kaolin._missing import missing_names

__all__ = ["import_mesh", "return_type"]
__getattr__ = missing_names(__name__, __all__)
