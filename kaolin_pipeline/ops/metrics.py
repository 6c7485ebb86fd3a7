"""Distances and overlaps between point clouds, voxel grids and masks.

Names and semantics follow ``kaolin.metrics.pointcloud`` (``sided_distance``,
``chamfer_distance``, ``f_score``), ``kaolin.metrics.voxelgrid`` (``iou``) and
``kaolin.metrics.render`` (``mask_iou``, which is a loss); ``psnr`` and ``psnr_foreground`` measure images.
"""
from __future__ import annotations

from typing import Optional

import torch
from scipy.spatial import cKDTree

from kaolin_pipeline.errors import ArgumentShapeError, PipelineError
from kaolin_pipeline.ops.mesh import check_points

__all__ = [
    "nearest_distances",
    "sided_distance",
    "chamfer_distance",
    "f_score",
    "iou",
    "voxel_iou",
    "mask_iou",
    "mask_iou_score",
    "psnr",
    "psnr_foreground",
]

_PAIRWISE_BUDGET = 16 * 1024 * 1024  # elements of the (B, chunk, M) temporary: 64 MB in float32


def _check_pair(p1: torch.Tensor, p2: torch.Tensor, names: tuple[str, str]) -> None:
    """Two point clouds ``(B, N, 3)`` and ``(B, M, 3)``. Shapes that do not fit raise :class:`ArgumentShapeError`
    (a ``RuntimeError``, as Kaolin's kernel check), the message ending with Kaolin's own words for it."""
    for position, (points, name) in enumerate(zip((p1, p2), names), start=1):
        if not isinstance(points, torch.Tensor):
            check_points(points, name)
        if points.dim() != 3:
            raise ArgumentShapeError(f"{name} must be a (B, N, 3) tensor, got {tuple(points.shape)}" + _kaolin_words(
                f"Expected 3-dimensional tensor, but got {points.dim()}-dimensional tensor", position, name))
    for position, (points, name) in enumerate(zip((p1, p2), names), start=1):
        expected = [p1.shape[0], points.shape[1], 3]
        if list(points.shape) != expected:
            ours = (f"{name} must be a (B, N, 3) tensor, got {tuple(points.shape)}" if points.shape[0] == p1.shape[0]
                    else f"{names[0]} and {names[1]} must have the same batch size, got {p1.shape[0]} and {p2.shape[0]}")
            raise ArgumentShapeError(ours + _kaolin_words(
                f"Expected tensor of size {expected}, but got tensor of size {list(points.shape)}", position, name))
    check_points(p1, names[0])
    check_points(p2, names[1])
    if p1.shape[1] == 0 or p2.shape[1] == 0:
        raise PipelineError(f"{names[0]} and {names[1]} must each hold at least one point")


def _kaolin_words(problem: str, position: int, name: str) -> str:
    """Kaolin's wording of a shape problem, which its tests match (its CUDA kernel's argument check)."""
    return f" ({problem} for argument #{position} '{name}' (while checking arguments for sided_distance_forward_cuda))"


@torch.no_grad()
def _nearest_indices(p1: torch.Tensor, p2: torch.Tensor, chunk: int) -> torch.Tensor:
    """(B, N) index of the nearest point of ``p2`` (B, M, 3) to each point of ``p1`` (B, N, 3).

    Half-precision clouds are searched in float32: ``|b|^2 - 2ab`` of points 100 apart already overflows float16."""
    if p1.dtype in (torch.float16, torch.bfloat16):
        p1, p2 = p1.float(), p2.float()
    # A common shift keeps |a|^2 - 2ab + |b|^2 from cancelling when clouds sit far from the origin.
    shift = p2.mean(dim=1, keepdim=True)
    a, b = p1 - shift, p2 - shift
    b_sq = (b * b).sum(dim=-1).unsqueeze(1)  # (B, 1, M)
    pieces = []
    for start in range(0, a.shape[1], chunk):
        part = a[:, start:start + chunk]
        sq = torch.baddbmm(b_sq, part, b.transpose(1, 2), alpha=-2.0)  # |b|^2 - 2ab; |a|^2 is constant per row
        pieces.append(sq.argmin(dim=-1))
    return torch.cat(pieces, dim=1)


def _kdtree_indices(p1: torch.Tensor, p2: torch.Tensor) -> torch.Tensor:
    """(B, N) nearest indices found with SciPy's k-d tree; CPU tensors only (no device transfer).

    The tree splits at sliding midpoints and keeps its cells uncompacted. Queried from points far off the surface
    it samples (an early step of fitting a mesh to a cloud) it searches 2-3.5x faster than SciPy's default median
    splits (2.2x for 100k samples of a sphere queried from a concentric sphere three times its size, 3.5x on the
    first steps of Kaolin's DMTet tutorial), and as fast when the clouds lie close (``benchmarks/bench_data.py``)."""
    found = [cKDTree(ref.detach().double().numpy(), balanced_tree=False, compact_nodes=False).query(
        query.detach().double().numpy(), workers=-1)[1] for query, ref in zip(p1, p2)]  # the tree works in float64
    return torch.stack([torch.from_numpy(idx).long() for idx in found])


def nearest_distances(
    p1: torch.Tensor, p2: torch.Tensor, chunk: Optional[int] = None, method: str = "auto"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Squared distance from each point of ``p1`` to its nearest point in ``p2``.

    The nearest index is searched without autograd, then the distance is recomputed
    from the gathered point, so gradients reach both clouds without any big matrix.
    Two searches give the same answer (up to ties):

    - ``"brute"``: chunked brute force in torch on the inputs' device. Only a
      ``(B, chunk, M)`` block of distances exists at a time (at most 16M elements,
      64 MB in float32, by default), so 100k x 100k clouds fit in memory.
    - ``"kdtree"``: SciPy's k-d tree, for CPU tensors only (they are viewed as
      NumPy arrays, never copied off a device); far faster than brute force on a CPU.

    ``"auto"`` picks ``"kdtree"`` for CPU tensors and ``"brute"`` otherwise.

    Args:
        p1: (B, N, 3) query points.
        p2: (B, M, 3) reference points.
        chunk: rows of ``p1`` per brute-force block; by default the largest within the budget.
        method: ``"auto"``, ``"brute"`` or ``"kdtree"``.

    Returns:
        ``(distances (B, N), indices (B, N) long)``: squared distances and indices into ``p2``.
    """
    _check_pair(p1, p2, ("p1", "p2"))
    if method not in ("auto", "brute", "kdtree"):
        raise PipelineError(f"method must be 'auto', 'brute' or 'kdtree', got {method!r}")
    on_cpu = p1.device.type == "cpu" and p2.device.type == "cpu"
    if method == "kdtree" and not on_cpu:
        raise PipelineError(f"method='kdtree' needs CPU tensors, got {p1.device} and {p2.device}; use 'brute'")
    if chunk is None:
        chunk = max(1, _PAIRWISE_BUDGET // (p2.shape[0] * p2.shape[1]))
    elif isinstance(chunk, bool) or not isinstance(chunk, int) or chunk <= 0:
        raise PipelineError(f"chunk must be a positive int, got {chunk!r}")
    if method == "kdtree" or (method == "auto" and on_cpu):
        indices = _kdtree_indices(p1, p2)
    else:
        indices = _nearest_indices(p1, p2, chunk)
    nearest = torch.gather(p2, 1, indices.unsqueeze(-1).expand(-1, -1, 3))
    return ((p1 - nearest) ** 2).sum(dim=-1), indices


def sided_distance(p1: torch.Tensor, p2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Kaolin's name for :func:`nearest_distances` with the default chunk: ``(distances (B, N), indices (B, N))``."""
    return nearest_distances(p1, p2)


def chamfer_distance(p1: torch.Tensor, p2: torch.Tensor, w1: float = 1.0, w2: float = 1.0, squared: bool = True) -> torch.Tensor:
    """Chamfer distance between point clouds.

    ``w1 * mean_i min_j d(p1_i, p2_j) + w2 * mean_j min_i d(p2_j, p1_i)`` where ``d`` is the
    squared Euclidean distance, or the Euclidean distance when ``squared`` is False.

    Args:
        p1: (B, N, 3) points.
        p2: (B, M, 3) points.
        w1, w2: weights of the two directions.
        squared: use squared distances (Kaolin's default).

    Returns:
        (B,) distances.
    """
    to_p2 = nearest_distances(p1, p2)[0]
    to_p1 = nearest_distances(p2, p1)[0]
    if not squared:
        to_p2, to_p1 = to_p2.sqrt(), to_p1.sqrt()
    return w1 * to_p2.mean(dim=-1) + w2 * to_p1.mean(dim=-1)


def f_score(gt_points: torch.Tensor, pred_points: torch.Tensor, radius: float = 0.01, eps: float = 1e-8) -> torch.Tensor:
    """F-score of predicted points against ground-truth points, exactly as Kaolin computes it.

    Distances are Euclidean (not squared) and compared with ``radius``; a point
    farther than ``radius`` from every point of the other cloud is a miss:
    ``fn`` counts missed ground-truth points, ``fp`` missed predicted points, and
    ``tp = M - fp``. Then ``precision = tp / (tp + fp)``, ``recall = tp / (tp + fn)``
    and ``f = 2 p r / (p + r + eps)``. Note Kaolin's recall mixes the predicted-side
    ``tp`` with the ground-truth-side ``fn``; it equals the usual ``(N - fn) / N``
    when the two clouds have the same size and every match is mutual.

    Args:
        gt_points: (B, N, 3) ground truth.
        pred_points: (B, M, 3) prediction.
        radius: distance under which a point counts as matched.
        eps: added to the denominator.

    Returns:
        (B,) F-scores in the dtype of ``gt_points``.
    """
    _check_pair(gt_points, pred_points, ("gt_points", "pred_points"))
    gt_to_pred = nearest_distances(gt_points, pred_points)[0].sqrt()
    pred_to_gt = nearest_distances(pred_points, gt_points)[0].sqrt()
    dtype = gt_points.dtype
    false_negatives = (gt_to_pred > radius).sum(dim=1).to(dtype)
    false_positives = (pred_to_gt > radius).sum(dim=1).to(dtype)
    true_positives = pred_points.shape[1] - false_positives
    precision = true_positives / (true_positives + false_positives)
    recall = true_positives / (true_positives + false_negatives)
    return 2 * precision * recall / (precision + recall + eps)


def iou(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """Intersection over union of batched voxel grids (``kaolin.metrics.voxelgrid.iou``).

    Args:
        pred: (B, X, Y, Z) occupancy; nonzero means occupied.
        gt: (B, X, Y, Z) occupancy.

    Returns:
        (B,) float IoU; 1 where both grids are empty (they agree everywhere).
    """
    if not isinstance(pred, torch.Tensor) or not isinstance(gt, torch.Tensor) or pred.dim() != 4 or pred.shape != gt.shape:
        shapes = [tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__ for t in (pred, gt)]
        raise PipelineError(f"pred and gt must be voxel grids of the same shape (B, X, Y, Z), got {shapes[0]} and {shapes[1]}")
    pred, gt = pred.bool(), gt.bool()
    intersection = (pred & gt).sum(dim=(1, 2, 3)).float()
    union = (pred | gt).sum(dim=(1, 2, 3)).float()
    return torch.where(union > 0, intersection / union.clamp(min=1), torch.ones_like(union))


voxel_iou = iou


def mask_iou_score(lhs_mask: torch.Tensor, rhs_mask: torch.Tensor) -> torch.Tensor:
    """Soft intersection over union of each pair of masks.

    ``sum(l * r) / (sum(l + r - l * r) + 1e-10)`` per item, differentiable in both masks.

    Args:
        lhs_mask: (B, H, W) masks in [0, 1].
        rhs_mask: (B, H, W) masks in [0, 1].

    Returns:
        (B,) IoU values.
    """
    if not isinstance(lhs_mask, torch.Tensor) or not isinstance(rhs_mask, torch.Tensor) or lhs_mask.dim() != 3 or lhs_mask.shape != rhs_mask.shape:
        shapes = [tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__ for t in (lhs_mask, rhs_mask)]
        raise PipelineError(f"lhs_mask and rhs_mask must have the same shape (B, H, W), got {shapes[0]} and {shapes[1]}")
    product = (lhs_mask * rhs_mask).flatten(1)
    intersection = product.sum(dim=1)
    union = (lhs_mask.flatten(1) + rhs_mask.flatten(1) - product).sum(dim=1)
    return intersection / (union + 1e-10)


def mask_iou(lhs_mask: torch.Tensor, rhs_mask: torch.Tensor) -> torch.Tensor:
    """Kaolin's ``mask_iou``: the LOSS ``1 - mean IoU`` over the batch (a scalar), not the IoU.

    Args:
        lhs_mask: (B, H, W) masks in [0, 1].
        rhs_mask: (B, H, W) masks in [0, 1].

    Returns:
        () scalar loss; use :func:`mask_iou_score` for the IoU values themselves.
    """
    return 1.0 - mask_iou_score(lhs_mask, rhs_mask).mean()


def psnr(prediction: torch.Tensor, target: torch.Tensor, max_value: float = 1.0) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB of each image of a batch.

    Args:
        prediction, target: (B, ...) images with values in ``[0, max_value]``.

    Returns:
        (B,) ``10 * log10(max_value ** 2 / MSE)``; ``inf`` where the images are identical.
    """
    mse = (prediction - target).pow(2).flatten(1).mean(dim=1)
    return 10.0 * torch.log10(max_value ** 2 / mse)


def psnr_foreground(prediction: torch.Tensor, target: torch.Tensor, pred_mask: torch.Tensor,
                    target_mask: torch.Tensor, max_value: float = 1.0) -> torch.Tensor:
    """PSNR in dB of each image over the union of the two silhouettes only (the background,
    easy to match, does not inflate it).

    Args:
        prediction, target: (B, H, W, C) images with values in ``[0, max_value]``.
        pred_mask, target_mask: (B, H, W) silhouettes in {0, 1} (or coverage in [0, 1]: a pixel counts when
            either is above 0).

    Returns:
        (B,) ``10 * log10(max_value ** 2 / MSE)`` with the MSE over the union's pixels and channels;
        ``nan`` for an image whose union is empty.
    """
    union = ((pred_mask > 0) | (target_mask > 0)).to(prediction.dtype).flatten(1)
    squared = (prediction - target).pow(2).mean(dim=-1).flatten(1)
    mse = (squared * union).sum(dim=1) / union.sum(dim=1)
    return 10.0 * torch.log10(max_value ** 2 / mse)
