"""``kaolin.utils``: ``testing`` (``kaolin_pipeline.testing``), ``log`` (``kaolin_pipeline.logs``), ``env_vars`` and
``bundled_data`` (``kaolin_pipeline.sample_data``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.kaolin.utils import bundled_data, env_vars, log, testing

__all__ = ["bundled_data", "env_vars", "log", "testing"]
__getattr__ = missing_names(__name__, __all__)
