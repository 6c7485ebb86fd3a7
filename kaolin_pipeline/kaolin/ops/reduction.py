"""``kaolin.ops.reduction`` (``kaolin_pipeline.ops.batch``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.batch import packed_simple_sum

__all__ = ["packed_simple_sum"]
__getattr__ = missing_names(__name__, __all__)
