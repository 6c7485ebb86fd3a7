"""``kaolin.utils.env_vars``: the environment variables Kaolin reads (:mod:`kaolin_pipeline.sample_data`)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.sample_data import KaolinEnvVars, KaolinTestEnvVars

__all__ = ["KaolinEnvVars", "KaolinTestEnvVars"]
__getattr__ = missing_names(__name__, __all__)
