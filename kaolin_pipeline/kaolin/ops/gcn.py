"""``kaolin.ops.gcn`` (``kaolin_pipeline.ops.gcn``)."""
from kaolin_pipeline.kaolin._missing import missing_names
from kaolin_pipeline.ops.gcn import GraphConv, normalize_adj, sparse_bmm

__all__ = ["GraphConv", "normalize_adj", "sparse_bmm"]
__getattr__ = missing_names(__name__, __all__)
