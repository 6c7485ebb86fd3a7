"""``kaolin.ops.mesh.trianglemesh``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.mesh import face_areas, face_normals, packed_face_areas, vertex_tangents
from kaolin_pipeline.ops.sampling import packed_sample_points, sample_points
from kaolin_pipeline.ops.subdivide import subdivide_trianglemesh
from kaolin_pipeline.ops.subdivide import subdivide_vertices as _unbatched_subdivide_vertices

__all__ = ["face_areas", "face_normals", "packed_face_areas", "packed_sample_points", "sample_points",
           "subdivide_trianglemesh", "vertex_tangents"]
# Kaolin's tests (and its trianglemesh_to_voxelgrid) import this helper by its private name.
__getattr__ = missing_names(__name__, __all__ + ["_unbatched_subdivide_vertices"])
