"""``kaolin.ops.spc.convolution``: sparse convolutions on an SPC level."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.spc.conv import Conv3d, ConvTranspose3d, conv3d, conv_transpose3d

__all__ = ["Conv3d", "ConvTranspose3d", "conv3d", "conv_transpose3d"]
__getattr__ = missing_names(__name__, __all__)
