"""``kaolin.utils.bundled_data``: sample-data folders and their downloads (:mod:`kaolin_pipeline.sample_data`).

Kaolin's folders are its checkout's ``sample_data``; here they are a user cache folder (see that module). The
path and name constants (``BUNDLED_DATA_PATH``, ``SAMPLE_MESHES_PATH``, ``SCANNED_TOYS_PATH``,
``SCANNED_TOYS_NAMES``, ``TENSOR_IR_PATH``, ``TENSOR_IR_NAMES``) are attributes of this module; ``__all__`` lists
the functions, as every ``__all__`` of the layer does.
"""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.sample_data import (  # noqa: F401 (the constants are Kaolin's module attributes)
    BUNDLED_DATA_PATH,
    SAMPLE_MESHES_PATH,
    SCANNED_TOYS_NAMES,
    SCANNED_TOYS_PATH,
    TENSOR_IR_NAMES,
    TENSOR_IR_PATH,
    download_scanned_toys_dataset,
    download_tensor_ir_dataset,
)

__all__ = ["download_scanned_toys_dataset", "download_tensor_ir_dataset"]
__getattr__ = missing_names(__name__, __all__)
