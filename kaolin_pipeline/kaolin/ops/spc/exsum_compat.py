"""``kaolin.ops.spc.exsum_compat``: the current and legacy ``exsum`` layouts."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.spc.exsum import current_to_legacy, ensure_current_exsum, octree_byte_lengths_from_pyramid

__all__ = ["current_to_legacy", "ensure_current_exsum", "octree_byte_lengths_from_pyramid"]
__getattr__ = missing_names(__name__, __all__)
