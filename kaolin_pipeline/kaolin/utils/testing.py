"""``kaolin.utils.testing``."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.testing import (
    ALL_DTYPES,
    BOOL_DTYPES,
    FLOAT_DTYPES,
    INT_DTYPES,
    NUM_DTYPES,
    check_allclose,
    check_packed_tensor,
    check_padded_tensor,
    check_tensor,
    contained_torch_equal,
    tensor_info,
    with_seed,
)

__all__ = ["check_allclose", "check_packed_tensor", "check_padded_tensor", "check_tensor", "contained_torch_equal",
           "tensor_info", "with_seed"]
# The dtype lists are data, not functions: importable, but kept out of __all__ (the layer's names are callables).
__getattr__ = missing_names(__name__, __all__ + ["ALL_DTYPES", "BOOL_DTYPES", "FLOAT_DTYPES", "INT_DTYPES",
                                                 "NUM_DTYPES"])
