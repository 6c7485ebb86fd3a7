"""``kaolin.ops.spc.uint8``: octree bytes ⇄ bits."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.spc.bits import bits_to_uint8, uint8_bits_sum, uint8_to_bits

__all__ = ["bits_to_uint8", "uint8_bits_sum", "uint8_to_bits"]
__getattr__ = missing_names(__name__, __all__)
