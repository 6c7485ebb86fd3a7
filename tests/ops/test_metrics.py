"""Point-cloud, voxel and mask metrics against SciPy / NumPy references written here."""
import numpy as np
import pytest
import torch
from scipy.spatial import cKDTree

from kaolin_pipeline.errors import ArgumentShapeError, PipelineError
from kaolin_pipeline.ops import chamfer_distance, f_score, iou, mask_iou, mask_iou_score, nearest_distances, voxel_iou


def _clouds(batch=2, n=500, m=301, seed=0, dtype=torch.float32):
    rng = np.random.default_rng(seed)
    return (torch.tensor(rng.normal(size=(batch, n, 3)) + 5.0, dtype=dtype),
            torch.tensor(rng.normal(size=(batch, m, 3)) + 5.0, dtype=dtype))


def _kdtree_reference(p1, p2):
    """Per item: squared nearest distances and indices from p1 to p2 (float64)."""
    pairs = [cKDTree(b.numpy().astype(np.float64)).query(a.numpy().astype(np.float64)) for a, b in zip(p1, p2)]
    return np.stack([d ** 2 for d, _ in pairs]), np.stack([i for _, i in pairs])


@pytest.mark.parametrize("method, chunk", [("brute", 37), ("brute", None), ("kdtree", None), ("auto", None)])
def test_nearest_distances_match_kdtree(method, chunk):
    p1, p2 = _clouds()
    distances, indices = nearest_distances(p1, p2, chunk=chunk, method=method)
    assert distances.shape == (2, 500) and indices.shape == (2, 500) and indices.dtype == torch.long
    ref_distances, ref_indices = _kdtree_reference(p1, p2)
    np.testing.assert_allclose(distances.numpy(), ref_distances, atol=1e-5)
    assert (indices.numpy() == ref_indices).mean() > 0.999  # float32 ties may pick another equally near point


def test_kdtree_method_matches_numpy_brute_force():
    p1, p2 = _clouds(n=200, m=150, seed=3, dtype=torch.float64)
    distances, indices = nearest_distances(p1, p2, method="kdtree")
    full = ((p1.numpy()[:, :, None] - p2.numpy()[:, None]) ** 2).sum(-1)
    np.testing.assert_array_equal(indices.numpy(), full.argmin(-1))
    np.testing.assert_allclose(distances.numpy(), full.min(-1), rtol=1e-12)


@pytest.mark.parametrize("method", ["brute", "kdtree"])
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_clouds_find_the_float64_nearest(method, dtype):
    # points ~100 apart: |b|^2 - 2ab overflows float16, and NumPy has no bfloat16
    generator = torch.Generator().manual_seed(0)
    p1 = (torch.randn(3, 50, 3, generator=generator) * 100).to(dtype)
    p2 = (torch.randn(3, 50, 3, generator=generator) * 100).to(dtype)
    distances, indices = nearest_distances(p1, p2, method=method)
    full = ((p1.double()[:, :, None] - p2.double()[:, None]) ** 2).sum(-1)
    assert distances.dtype == dtype
    assert torch.equal(indices, full.argmin(-1))
    assert torch.allclose(distances.double(), full.min(-1).values, rtol=2e-2)


@pytest.mark.parametrize("squared", [True, False])
def test_chamfer_distance_matches_kdtree(squared):
    p1, p2 = _clouds()
    forward, _ = _kdtree_reference(p1, p2)
    backward, _ = _kdtree_reference(p2, p1)
    if not squared:
        forward, backward = np.sqrt(forward), np.sqrt(backward)
    expected = 0.3 * forward.mean(axis=1) + 2.0 * backward.mean(axis=1)
    got = chamfer_distance(p1, p2, w1=0.3, w2=2.0, squared=squared)
    assert got.shape == (2,)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5)


@pytest.mark.parametrize("method", ["brute", "kdtree"])
def test_chamfer_gradients_match_dense_autograd(method):
    p1, p2 = _clouds(batch=2, n=60, m=45, seed=5, dtype=torch.float64)
    p1.requires_grad_(True)
    p2.requires_grad_(True)
    forward = nearest_distances(p1, p2, chunk=7, method=method)[0].mean(-1)
    backward = nearest_distances(p2, p1, chunk=7, method=method)[0].mean(-1)
    grads = torch.autograd.grad((forward + backward).sum(), (p1, p2))
    full = ((p1[:, :, None] - p2[:, None]) ** 2).sum(-1)
    reference = full.min(dim=2).values.mean(-1) + full.min(dim=1).values.mean(-1)
    expected = torch.autograd.grad(reference.sum(), (p1, p2))
    for got, want in zip(grads, expected):
        assert torch.allclose(got, want, atol=1e-12)


def _numpy_f_score(gt, pred, radius, eps=1e-8):
    """Kaolin's definition, from its documentation, in NumPy."""
    scores = []
    for g, p in zip(gt, pred):
        gt_to_pred = np.sqrt(((g[:, None] - p[None]) ** 2).sum(-1)).min(1)
        pred_to_gt = np.sqrt(((p[:, None] - g[None]) ** 2).sum(-1)).min(1)
        fn, fp = (gt_to_pred > radius).sum(), (pred_to_gt > radius).sum()
        tp = len(p) - fp
        precision, recall = tp / (tp + fp), tp / (tp + fn)
        scores.append(2 * precision * recall / (precision + recall + eps))
    return np.array(scores)


def test_f_score_examples_from_kaolin_docs():
    p1 = torch.tensor([[[8.8977, 4.1709, 1.2839], [8.5640, 7.7767, 9.4214]],
                       [[0.5431, 6.4495, 11.4914], [3.2126, 8.0865, 3.1018]]])
    p2 = torch.tensor([[[9.4863, 4.2249, 0.1712], [8.1783, 8.5310, 8.5119]],
                       [[-0.0020699, 6.4429, 12.3], [3.8386, 8.3585, 4.7662]]])
    np.testing.assert_allclose(f_score(p1, p2, radius=1).numpy(), [0.0, 0.5], atol=1e-6)
    np.testing.assert_allclose(f_score(p1, p2, radius=1.5).numpy(), [1.0, 0.5], atol=1e-6)


@pytest.mark.parametrize("radius", [0.05, 0.2, 0.5])
def test_f_score_matches_numpy(radius):
    gt, pred = _clouds(n=300, m=200, seed=7, dtype=torch.float64)
    pred = gt[:, :200] + 0.1 * torch.rand(2, 200, 3, dtype=torch.float64)
    got = f_score(gt, pred, radius=radius)
    np.testing.assert_allclose(got.numpy(), _numpy_f_score(gt.numpy(), pred.numpy(), radius), atol=1e-10)


def test_voxel_iou_matches_numpy():
    rng = np.random.default_rng(0)
    pred, gt = rng.random((3, 8, 8, 8)) > 0.5, rng.random((3, 8, 8, 8)) > 0.3
    expected = (pred & gt).sum(axis=(1, 2, 3)) / (pred | gt).sum(axis=(1, 2, 3))
    got = iou(torch.tensor(pred), torch.tensor(gt).float())
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6)
    assert voxel_iou is iou
    empty = torch.zeros(1, 4, 4, 4, dtype=torch.bool)
    assert iou(empty, empty).tolist() == [1.0]
    assert iou(empty, ~empty).tolist() == [0.0]


def test_mask_iou_is_kaolins_loss():
    lhs = torch.zeros(2, 4, 4)
    rhs = torch.zeros(2, 4, 4)
    lhs[0, :2] = 1  # 8 pixels
    rhs[0, 1:3] = 1  # 8 pixels, 4 shared: IoU 4 / 12
    lhs[1] = 0.5
    rhs[1] = 1.0  # soft: intersection 8, union 16 + 8 - 8 = 16: IoU 1/2
    scores = mask_iou_score(lhs, rhs)
    np.testing.assert_allclose(scores.numpy(), [1 / 3, 1 / 2], rtol=1e-6)
    loss = mask_iou(lhs, rhs)
    assert loss.shape == ()
    np.testing.assert_allclose(float(loss), 1 - (1 / 3 + 1 / 2) / 2, rtol=1e-6)


def test_shapes_that_do_not_fit_raise_runtime_error_in_both_wordings():
    """Kaolin's kernel check raises RuntimeError ("Expected tensor of size [B, M, 3] ... argument #2 'p2'");
    ours is also one, and a PipelineError with our message first."""
    cases = [((3, 2, 3), (2, 3, 3), "p1 and p2 must have the same batch size, got 3 and 2",
              "Expected tensor of size [3, 3, 3], but got tensor of size [2, 3, 3] for argument #2 'p2'"),
             ((2, 2, 2), (2, 3, 3), r"p1 must be a \(B, N, 3\) tensor, got \(2, 2, 2\)",
              "Expected tensor of size [2, 2, 3], but got tensor of size [2, 2, 2] for argument #1 'p1'"),
             ((3, 2, 3, 4), (2, 3, 3), r"p1 must be a \(B, N, 3\) tensor, got \(3, 2, 3, 4\)",
              "Expected 3-dimensional tensor, but got 4-dimensional tensor for argument #1 'p1'"),
             ((2, 4, 3), (2, 5), r"p2 must be a \(B, N, 3\) tensor, got \(2, 5\)",
              "Expected 3-dimensional tensor, but got 2-dimensional tensor for argument #2 'p2'")]
    for shape1, shape2, ours, kaolins in cases:
        with pytest.raises(ArgumentShapeError, match=ours) as caught:
            nearest_distances(torch.zeros(shape1), torch.zeros(shape2))
        assert isinstance(caught.value, RuntimeError) and isinstance(caught.value, PipelineError)
        assert kaolins in str(caught.value)


def test_bad_arguments():
    p1, p2 = _clouds()
    with pytest.raises(PipelineError, match="batch size"):
        chamfer_distance(p1, p2[:1])
    with pytest.raises(PipelineError, match="p2"):
        chamfer_distance(p1, p2[..., :2])
    with pytest.raises(PipelineError, match="chunk"):
        nearest_distances(p1, p2, chunk=0)
    with pytest.raises(PipelineError, match="method"):
        nearest_distances(p1, p2, method="octree")
    with pytest.raises(PipelineError, match="gt_points"):
        f_score(p1[0], p2)
    with pytest.raises(PipelineError, match="pred and gt"):
        iou(torch.zeros(1, 4, 4, 4), torch.zeros(1, 4, 4, 3))
    with pytest.raises(PipelineError, match="lhs_mask"):
        mask_iou(torch.zeros(1, 4, 4), torch.zeros(1, 4, 5))
