"""``kaolin.render.mesh.deftet``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.render.deftet import deftet_sparse_render
# Kaolin's tests import its per-pixel reference by this private name; ours is the same computation (it also
# takes ``valid_faces``).
from kaolin_pipeline.render.deftet import deftet_sparse_render as _naive_deftet_sparse_render

__all__ = ["deftet_sparse_render"]
__getattr__ = missing_names(__name__, __all__ + ["_naive_deftet_sparse_render"])
