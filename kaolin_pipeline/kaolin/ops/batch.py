"""``kaolin.ops.batch``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.batch import (
    fill_max_shape,
    get_first_idx,
    get_shape_per_tensor,
    list_to_packed,
    list_to_padded,
    packed_to_list,
    packed_to_padded,
    padded_to_list,
    padded_to_packed,
    tile_to_packed,
)

__all__ = ["fill_max_shape", "get_first_idx", "get_shape_per_tensor", "list_to_packed", "list_to_padded",
           "packed_to_list", "packed_to_padded", "padded_to_list", "padded_to_packed", "tile_to_packed"]
__getattr__ = missing_names(__name__, __all__)
