"""Rotations as quaternions, angle-axis pairs and 3x3 / 4x4 matrices, following ``kaolin.math.quat``.

A quaternion is stored ``(x, y, z, w)``: imaginary part first, real part last (scipy's
``Rotation.as_quat`` order). Every function works on any leading batch shape ``(..., 4)`` unless
its docstring says otherwise; dtype and device follow the inputs. Matrices act on column vectors:
``p' = R @ p``.
"""
from __future__ import annotations

from typing import Sequence, Tuple, Union

import torch
import torch.nn.functional as F

from kaolin_pipeline.errors import PipelineError

__all__ = [
    "angle_axis_from_quat", "angle_axis_from_rot33", "is_rot33_valid", "pad_mat33_to_mat44", "quat_abs",
    "quat_conjugate", "quat_from_angle_axis", "quat_from_rot33", "quat_identity", "quat_imaginary", "quat_inverse",
    "quat_mul", "quat_positive", "quat_real", "quat_rotate", "quat_unit", "quat_unit_positive",
    "rot33_from_angle_axis", "rot33_from_quat", "rot33_identity", "rot33_inverse", "rot33_rotate", "rot44_from_quat",
    "scale_to_mat44", "translation_identity", "translation_to_mat44", "vector_normalize",
]

DeviceLike = Union[torch.device, str, None]


def _check_last(name: str, tensor: torch.Tensor, size: int) -> None:
    if not isinstance(tensor, torch.Tensor) or tensor.dim() == 0 or tensor.shape[-1] != size:
        shape = tuple(tensor.shape) if isinstance(tensor, torch.Tensor) else type(tensor).__name__
        raise PipelineError(f"{name} must be a tensor of shape (..., {size}), got {shape}")


def _check_matrix(name: str, tensor: torch.Tensor, size: int) -> None:
    if not isinstance(tensor, torch.Tensor) or tensor.dim() < 2 or tuple(tensor.shape[-2:]) != (size, size):
        shape = tuple(tensor.shape) if isinstance(tensor, torch.Tensor) else type(tensor).__name__
        raise PipelineError(f"{name} must be a tensor of shape (..., {size}, {size}), got {shape}")


def _floating(tensor: torch.Tensor) -> torch.Tensor:
    """Integer tensors as the default float dtype (Kaolin's arithmetic promotes them the same way)."""
    return tensor if tensor.is_floating_point() else tensor.to(torch.get_default_dtype())


# ---------------------------------------------------------------- parts and normalisation

def quat_real(quat: torch.Tensor) -> torch.Tensor:
    """The real part ``w``: (..., 4) -> (..., 1)."""
    _check_last("quat", quat, 4)
    return quat[..., 3:]


def quat_imaginary(quat: torch.Tensor) -> torch.Tensor:
    """The imaginary part ``(x, y, z)``: (..., 4) -> (..., 3)."""
    _check_last("quat", quat, 4)
    return quat[..., :3]


def quat_positive(quat: torch.Tensor) -> torch.Tensor:
    """``quat`` negated where its real part is negative (the same rotation): (..., 4) -> (..., 4)."""
    _check_last("quat", quat, 4)
    return torch.where(quat[..., 3:] < 0, -quat, quat)


def quat_abs(quat: torch.Tensor) -> torch.Tensor:
    """The Euclidean norm: (..., 4) -> (...)."""
    _check_last("quat", quat, 4)
    return torch.linalg.vector_norm(_floating(quat), dim=-1)


def quat_unit(quat: torch.Tensor) -> torch.Tensor:
    """``quat`` scaled to norm 1 (a zero quaternion stays zero): (..., 4) -> (..., 4)."""
    _check_last("quat", quat, 4)
    return F.normalize(_floating(quat), dim=-1)


def quat_unit_positive(quat: torch.Tensor) -> torch.Tensor:
    """The rotation quaternion of ``quat``: unit norm, non-negative real part. (..., 4) -> (..., 4)."""
    return quat_unit(quat_positive(quat))


def quat_identity(shape: Sequence[int], device: DeviceLike = None, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Identity rotations ``(0, 0, 0, 1)`` of shape ``(*shape, 4)``."""
    quat = torch.zeros(*shape, 4, device=device, dtype=dtype)
    quat[..., 3] = 1
    return quat


def quat_conjugate(quat: torch.Tensor) -> torch.Tensor:
    """``(-x, -y, -z, w)``: (..., 4) -> (..., 4)."""
    _check_last("quat", quat, 4)
    return torch.cat([-quat[..., :3], quat[..., 3:]], dim=-1)


def quat_inverse(quat: torch.Tensor) -> torch.Tensor:
    """Inverse of a *unit* quaternion, its conjugate: (..., 4) -> (..., 4)."""
    return quat_conjugate(quat)


def quat_mul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Hamilton product ``a b`` (apply ``b``, then ``a``): (..., 4) x (..., 4) -> (..., 4), broadcast, promoted."""
    _check_last("a", a, 4)
    _check_last("b", b, 4)
    dtype = torch.promote_types(a.dtype, b.dtype)
    a, b = a.to(dtype), b.to(dtype)
    va, wa = a[..., :3], a[..., 3:]
    vb, wb = b[..., :3], b[..., 3:]
    vector = wa * vb + wb * va + torch.linalg.cross(*torch.broadcast_tensors(va, vb), dim=-1)
    scalar = wa * wb - (va * vb).sum(-1, keepdim=True)
    return torch.cat([vector, scalar], dim=-1)


def quat_rotate(rotation: torch.Tensor, point: torch.Tensor) -> torch.Tensor:
    """Rotate points by unit quaternions, ``q p q*``: (..., 4) and (..., 3) -> (..., 3), broadcast."""
    _check_last("rotation", rotation, 4)
    _check_last("point", point, 3)
    return quat_mul(quat_mul(rotation, F.pad(point, (0, 1))), quat_conjugate(rotation))[..., :3]


# ---------------------------------------------------------------- conversions

def quat_from_angle_axis(angle: torch.Tensor, axis: torch.Tensor, is_degree: bool = False) -> torch.Tensor:
    """The rotation by ``angle`` about ``axis`` (normalised here; right-hand rule).

    Args:
        angle: (..., 1) radians, or degrees with ``is_degree``.
        axis: (..., 3).

    Returns:
        (..., 4) unit quaternion.
    """
    _check_last("axis", axis, 3)
    half = (torch.deg2rad(angle) if is_degree else angle) / 2
    return torch.cat([half.sin() * F.normalize(axis, dim=-1), half.cos().expand(*axis.shape[:-1], 1)], dim=-1)


def quat_from_rot33(mat: torch.Tensor) -> torch.Tensor:
    """The unit quaternion of rotation matrices: (..., 3, 3) -> (..., 4).

    Uses the largest of the four candidate ``|component|`` values (from the trace and the diagonal) as
    the pivot, so the division is always by at least 1/2; the sign is then made that of Kaolin's
    branches (``w >= 0`` when the trace is positive).
    """
    _check_matrix("mat", mat, 3)
    m = mat
    diagonal = torch.diagonal(m, dim1=-2, dim2=-1)
    trace = diagonal.sum(-1)
    # 4 q_i^2 for i = x, y, z, w.
    squares = torch.stack([1 + 2 * diagonal[..., 0] - trace, 1 + 2 * diagonal[..., 1] - trace,
                           1 + 2 * diagonal[..., 2] - trace, 1 + trace], dim=-1)
    sym_xy, sym_xz, sym_yz = m[..., 0, 1] + m[..., 1, 0], m[..., 0, 2] + m[..., 2, 0], m[..., 1, 2] + m[..., 2, 1]
    skew_x, skew_y, skew_z = m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] - m[..., 0, 1]
    # Row i: 4 q_i q_j for every j (the diagonal entries are placeholders, replaced by 4 q_i^2 below).
    products = torch.stack([
        torch.stack([squares[..., 0], sym_xy, sym_xz, skew_x], dim=-1),
        torch.stack([sym_xy, squares[..., 1], sym_yz, skew_y], dim=-1),
        torch.stack([sym_xz, sym_yz, squares[..., 2], skew_z], dim=-1),
        torch.stack([skew_x, skew_y, skew_z, squares[..., 3]], dim=-1),
    ], dim=-2)
    pivot = squares.argmax(dim=-1, keepdim=True)
    row = torch.gather(products, -2, pivot.unsqueeze(-1).expand(*pivot.shape[:-1], 1, 4)).squeeze(-2)
    scale = torch.gather(squares, -1, pivot).clamp(min=torch.finfo(m.dtype).tiny).sqrt()  # 2 |q_pivot|
    quat = row / (2 * scale)
    return quat_positive(quat)


def vector_normalize(vec: torch.Tensor) -> torch.Tensor:
    """Unit vectors along the last dimension: (..., N) -> (..., N); not in place."""
    vec = _floating(vec)
    return vec / torch.linalg.vector_norm(vec, dim=-1, keepdim=True)


def rot33_from_quat(quat: torch.Tensor) -> torch.Tensor:
    """Rotation matrices of quaternions (normalised first): (..., 4) -> (..., 3, 3)."""
    _check_last("quat", quat, 4)
    x, y, z, w = vector_normalize(quat).unbind(-1)
    return torch.stack([
        torch.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], dim=-1),
        torch.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], dim=-1),
        torch.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], dim=-1),
    ], dim=-2)


def rot33_from_angle_axis(angle: torch.Tensor, axis: torch.Tensor) -> torch.Tensor:
    """Rodrigues' rotation matrix for a *unit* ``axis``: angle (..., 1) radians, axis (..., 3) -> (..., 3, 3).

    Unbatched inputs ((1,) and (3,)) give a batch of one, (1, 3, 3), as in Kaolin.
    """
    _check_last("axis", axis, 3)
    angle = angle.reshape(1, 1) if angle.dim() < 2 else angle
    axis = axis.unsqueeze(0) if axis.dim() < 2 else axis
    sin, cos = angle.sin().unsqueeze(-1), angle.cos().unsqueeze(-1)
    eye = torch.eye(3, dtype=axis.dtype, device=axis.device)
    x, y, z = axis.unbind(-1)
    zero = torch.zeros_like(x)
    cross = torch.stack([torch.stack([zero, -z, y], -1), torch.stack([z, zero, -x], -1),
                         torch.stack([-y, x, zero], -1)], dim=-2)  # [axis]_x, so cross @ p = axis x p
    return cos * eye + sin * cross + (1 - cos) * axis.unsqueeze(-1) * axis.unsqueeze(-2)


def angle_axis_from_quat(quat: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Angle in [0, pi] (..., 1) and unit axis (..., 3) of quaternions (normalised first).

    The identity has no axis; it gets angle 0 and an arbitrary unit axis, as Kaolin's small offset gives.
    """
    _check_last("quat", quat, 4)
    q = quat_unit_positive(quat)
    vector, real = q[..., :3], q[..., 3:]
    norm = torch.linalg.vector_norm(vector, dim=-1, keepdim=True)
    angle = 2 * torch.atan2(norm, real)
    fallback = torch.full_like(vector, 3 ** -0.5)
    axis = torch.where(norm > 0, vector / norm.clamp(min=torch.finfo(q.dtype).tiny), fallback)
    return angle, axis


def angle_axis_from_rot33(mat: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Angle (..., 1) and unit axis (..., 3) of rotation matrices (..., 3, 3)."""
    return angle_axis_from_quat(quat_from_rot33(mat))


# ---------------------------------------------------------------- matrices

def is_rot33_valid(rot33: torch.Tensor, atol: float = 1e-6) -> bool:
    """True when every (..., 3, 3) matrix is orthogonal (``R Rᵀ = I`` within ``atol``) with determinant 1."""
    _check_matrix("rot33", rot33, rot33.shape[-1] if isinstance(rot33, torch.Tensor) and rot33.dim() else 3)
    eye = torch.eye(rot33.shape[-1], dtype=rot33.dtype, device=rot33.device)
    determinant = torch.linalg.det(rot33)
    return bool(torch.allclose(determinant, torch.ones_like(determinant))
                and torch.allclose(rot33 @ rot33.transpose(-1, -2), eye.expand_as(rot33), atol=atol))


def rot33_identity(batch_size: int = 1, device: DeviceLike = None, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(batch_size, 3, 3) identity matrices."""
    return torch.eye(3, device=device, dtype=dtype).repeat(batch_size, 1, 1)


def translation_identity(batch_size: int = 1, device: DeviceLike = None,
                         dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(batch_size, 3) zero translations."""
    return torch.zeros(batch_size, 3, device=device, dtype=dtype)


def rot33_inverse(mat: torch.Tensor) -> torch.Tensor:
    """Inverse (transpose) of rotation matrices: (..., 3, 3) -> (..., 3, 3)."""
    _check_matrix("mat", mat, 3)
    return mat.transpose(-1, -2)


def rot33_rotate(point: torch.Tensor, mat: torch.Tensor) -> torch.Tensor:
    """``mat @ point``: points (..., 3) and matrices (..., 3, 3) -> (..., 3), broadcast."""
    _check_last("point", point, 3)
    _check_matrix("mat", mat, 3)
    return (mat @ point.unsqueeze(-1)).squeeze(-1)


def pad_mat33_to_mat44(mat33: torch.Tensor) -> torch.Tensor:
    """``[[R, 0], [0, 1]]``: (..., 3, 3) -> (..., 4, 4)."""
    _check_matrix("mat33", mat33, 3)
    mat44 = F.pad(mat33, (0, 1, 0, 1))
    mat44[..., 3, 3] = 1
    return mat44


def rot44_from_quat(quat: torch.Tensor) -> torch.Tensor:
    """4x4 rotation matrices of quaternions: (..., 4) -> (..., 4, 4)."""
    return pad_mat33_to_mat44(rot33_from_quat(quat))


def translation_to_mat44(vec: torch.Tensor) -> torch.Tensor:
    """Translation matrices from (B, 3) vectors (a 4th component is ignored; (3,) gives B = 1) -> (B, 4, 4)."""
    vec = vec.unsqueeze(0) if vec.dim() < 2 else vec
    if vec.shape[-1] not in (3, 4):
        raise PipelineError(f"vec must have shape (B, 3) or (B, 4), got {tuple(vec.shape)}")
    mat = torch.eye(4, dtype=vec.dtype, device=vec.device).repeat(vec.shape[0], 1, 1)
    mat[:, :3, 3] = vec[:, :3]
    return mat


def scale_to_mat44(scale: torch.Tensor) -> torch.Tensor:
    """Scaling matrices from (B, 3) factors (a 4th component is ignored; (3,) gives B = 1) -> (B, 4, 4)."""
    scale = scale.unsqueeze(0) if scale.dim() < 2 else scale
    if scale.shape[-1] not in (3, 4):
        raise PipelineError(f"scale must have shape (B, 3) or (B, 4), got {tuple(scale.shape)}")
    return torch.diag_embed(F.pad(scale[:, :3], (0, 1), value=1.0))
