"""``kaolin.math.quat.euclidean``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.rigid import (
    euclidean_from_rotation_translation,
    euclidean_identity,
    euclidean_inverse,
    euclidean_rotation_matrix,
    euclidean_translation_vector,
    is_euclidean_valid,
)

__all__ = ["euclidean_from_rotation_translation", "euclidean_identity", "euclidean_inverse",
           "euclidean_rotation_matrix", "euclidean_translation_vector", "is_euclidean_valid"]
__getattr__ = missing_names(__name__, __all__)
