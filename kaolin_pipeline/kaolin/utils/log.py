"""``kaolin.utils.log``: :mod:`kaolin_pipeline.logs`."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.logs import add_log_level_flag, default_log_setup, log_tensor, print_tensor

__all__ = ["add_log_level_flag", "default_log_setup", "log_tensor", "print_tensor"]
__getattr__ = missing_names(__name__, __all__)
