"""Graph convolutions over a fixed adjacency (Kaolin's ``kaolin.ops.gcn``): a sparse matrix times a batch of
dense ones, row normalisation, and Kipf & Welling's ``GraphConv`` layer.

An adjacency is ``(N, N)``, sparse COO or dense, ``adj[i, j]`` nonzero for an edge into node ``i`` from ``j``.
"""
from __future__ import annotations

import torch
from torch import nn

from kaolin_pipeline.errors import PipelineError

__all__ = ["GraphConv", "normalize_adj", "sparse_bmm"]


def _check_adjacency(adj: torch.Tensor, name: str = "adj") -> None:
    if not isinstance(adj, torch.Tensor) or adj.dim() != 2:
        raise PipelineError(f"{name} must be a 2-D (sparse or dense) tensor, got "
                            f"{tuple(getattr(adj, 'shape', ())) or type(adj).__name__}")


def sparse_bmm(sparse_matrix: torch.Tensor, dense_matrix_batch: torch.Tensor) -> torch.Tensor:
    """``sparse_matrix @ dense_matrix_batch[b]`` for every ``b``, in one sparse product.

    Args:
        sparse_matrix: (M, N) sparse (or dense) matrix.
        dense_matrix_batch: (B, N, P).

    Returns:
        (B, M, P).
    """
    _check_adjacency(sparse_matrix, "sparse_matrix")
    if not isinstance(dense_matrix_batch, torch.Tensor) or dense_matrix_batch.dim() != 3 \
            or dense_matrix_batch.shape[1] != sparse_matrix.shape[1]:
        raise PipelineError(f"dense_matrix_batch must be a (B, N, P) tensor with N = {sparse_matrix.shape[1]}, got "
                            f"{tuple(getattr(dense_matrix_batch, 'shape', ()))}")
    batch, rows, columns = dense_matrix_batch.shape
    side_by_side = dense_matrix_batch.transpose(0, 1).reshape(rows, batch * columns)  # (N, B * P)
    product = torch.sparse.mm(sparse_matrix, side_by_side) if sparse_matrix.is_sparse \
        else sparse_matrix @ side_by_side
    return product.reshape(sparse_matrix.shape[0], batch, columns).transpose(0, 1)


def _row_sums(adj: torch.Tensor) -> torch.Tensor:
    """(N, 1) the sum of each row of a sparse or dense adjacency."""
    ones = torch.ones(adj.shape[1], 1, dtype=adj.dtype, device=adj.device)
    return torch.sparse.mm(adj, ones) if adj.is_sparse else adj @ ones


def normalize_adj(adj: torch.Tensor) -> torch.Tensor:
    """Scale every row of an adjacency to sum to 1 (sparse in, sparse out; dense in, dense out).

    Args:
        adj: (N, N) sparse COO or dense.

    Returns:
        (N, N), same layout.
    """
    _check_adjacency(adj)
    sums = _row_sums(adj)
    if not adj.is_sparse:
        return adj / sums
    adj = adj.coalesce()
    rows = adj.indices()[0]
    return torch.sparse_coo_tensor(adj.indices(), adj.values() / sums[rows, 0], adj.shape,
                                   check_invariants=False).coalesce()  # the indices of a coalesced tensor


class GraphConv(nn.Module):
    """``D^-1 A (H W + b)`` plus, with ``self_layer``, ``H W_self + b_self`` (Kipf & Welling 2017).

    ``linear`` and ``linear_self`` are the two ``nn.Linear`` layers (Kaolin's attribute names); weights start
    Xavier-uniform, biases uniform in [-1, 1]. With ``self_layer`` the adjacency should hold no self loops.

    Args:
        input_dim, output_dim: feature sizes of a node in and out.
        self_layer: add a separate filter of each node's own features.
        bias: give the linear layers a bias.
    """

    def __init__(self, input_dim: int, output_dim: int, self_layer: bool = True, bias: bool = True):
        super().__init__()
        self.self_layer = self_layer
        self.linear = nn.Linear(input_dim, output_dim, bias=bias)
        self.linear_self = nn.Linear(input_dim, output_dim, bias=bias) if self_layer else None
        self.initialize()

    def initialize(self) -> None:
        """Xavier-uniform weights, biases uniform in [-1, 1]."""
        for layer in (self.linear, self.linear_self):
            if layer is not None:
                nn.init.xavier_uniform_(layer.weight)
                if layer.bias is not None:
                    nn.init.uniform_(layer.bias, -1.0, 1.0)

    def forward(self, node_feat: torch.Tensor, adj: torch.Tensor, normalize_adj: bool = True) -> torch.Tensor:
        """(B, N, input_dim) node features and an (N, N) adjacency -> (B, N, output_dim).

        ``normalize_adj`` divides each node's sum by its row sum of ``adj`` (pass False for an adjacency
        already normalised with :func:`normalize_adj`).
        """
        _check_adjacency(adj)
        result = sparse_bmm(adj, self.linear(node_feat))
        if normalize_adj:
            result = result / _row_sums(adj).to(result.dtype)
        if self.linear_self is not None:
            result = result + self.linear_self(node_feat)
        return result
