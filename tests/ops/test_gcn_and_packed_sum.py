"""ops.gcn against dense NumPy algebra, and ops.batch.packed_simple_sum against per-segment sums in float64."""
import numpy as np
import pytest
import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops.batch import packed_simple_sum
from kaolin_pipeline.ops.gcn import GraphConv, normalize_adj, sparse_bmm


def _graph():
    generator = torch.Generator().manual_seed(0)
    dense = (torch.rand(6, 6, generator=generator) < 0.5).double() * torch.rand(6, 6, generator=generator,
                                                                               dtype=torch.float64)
    dense += torch.eye(6, dtype=torch.float64) * 0.5  # no empty row
    features = torch.rand(2, 6, 4, generator=generator, dtype=torch.float64)
    return dense, features


def test_sparse_bmm_and_normalize_adj_match_dense_algebra():
    dense, features = _graph()
    expected = np.einsum("mn,bnp->bmp", dense.numpy(), features.numpy())
    assert np.allclose(sparse_bmm(dense.to_sparse(), features).numpy(), expected, rtol=1e-12)
    assert np.allclose(sparse_bmm(dense, features).numpy(), expected, rtol=1e-12)
    rows = dense.numpy() / dense.numpy().sum(axis=1, keepdims=True)
    normalised = normalize_adj(dense.to_sparse())
    assert normalised.is_sparse and np.allclose(normalised.to_dense().numpy(), rows, rtol=1e-12)
    assert np.allclose(normalize_adj(dense).numpy(), rows, rtol=1e-12)
    with pytest.raises(PipelineError, match="dense_matrix_batch"):
        sparse_bmm(dense, features[:, :5])


@pytest.mark.parametrize("self_layer", [True, False])
def test_graph_conv_is_normalised_neighbour_mean_plus_self_filter(self_layer):
    dense, features = _graph()
    layer = GraphConv(4, 3, self_layer=self_layer).double()
    weight, bias = layer.linear.weight.detach().numpy(), layer.linear.bias.detach().numpy()
    rows = dense.numpy() / dense.numpy().sum(axis=1, keepdims=True)
    expected = np.einsum("mn,bnp->bmp", rows, features.numpy() @ weight.T + bias)
    if self_layer:
        expected += features.numpy() @ layer.linear_self.weight.detach().numpy().T + layer.linear_self.bias.detach().numpy()
    assert np.allclose(layer(features, dense.to_sparse()).detach().numpy(), expected, rtol=1e-10)
    assert np.allclose(layer(features, normalize_adj(dense), normalize_adj=False).detach().numpy(), expected,
                       rtol=1e-10)
    assert (layer.linear_self is None) != self_layer


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int32, torch.bool])
def test_packed_simple_sum_matches_segment_sums(dtype):
    counts = torch.tensor([3, 0, 1, 50_000])
    values = torch.rand(int(counts.sum()), 1, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    values = (values * 10).to(dtype) if dtype != torch.bool else values > 0.5
    starts = np.concatenate([[0], np.cumsum(counts.numpy())])
    expected = [values[a:b].double().sum().item() for a, b in zip(starts[:-1], starts[1:])]
    out = packed_simple_sum(values, counts)
    assert out.dtype == (dtype if dtype.is_floating_point else torch.long)
    assert np.allclose(out.double().numpy(), expected, rtol=1e-6)
    with pytest.raises(PipelineError, match="numel_per_tensor"):
        packed_simple_sum(values, counts + 1)


def test_packed_simple_sum_gradcheck():
    values = torch.rand(7, 1, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: packed_simple_sum(v, torch.tensor([2, 5])), (values,))
