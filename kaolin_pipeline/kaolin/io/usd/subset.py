"""``kaolin.io.usd.subset``: GeomSubsets of a prim (:mod:`kaolin_pipeline.io.usd.subset`)."""
from kaolin_pipeline.io.usd.subset import add_subset, import_subsets

__all__ = ["add_subset", "import_subsets"]
