"""``kaolin.ops.mesh.tetmesh`` (``kaolin_pipeline.ops.tetmesh``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.tetmesh import inverse_vertices_offset, subdivide_tetmesh
# Kaolin's metrics import its shape check by this private name.
from kaolin_pipeline.ops.tetmesh import validate_tet_vertices as _validate_tet_vertices

__all__ = ["inverse_vertices_offset", "subdivide_tetmesh"]
__getattr__ = missing_names(__name__, __all__ + ["_validate_tet_vertices"])
