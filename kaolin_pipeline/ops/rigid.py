"""Rigid transforms, following ``kaolin.math.quat``: 4x4 "Euclidean" matrices and 7-vector
position-quaternion transforms ``(x, y, z, w, tx, ty, tz)`` (rotation quaternion first, as in Kaolin).

A transform maps ``p`` to ``R p + t``. Batch shapes are leading dimensions; dtype and device follow the inputs.
"""
from __future__ import annotations

from typing import Optional, Sequence

import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops.quaternion import (
    DeviceLike,
    is_rot33_valid,
    quat_from_rot33,
    quat_identity,
    quat_inverse,
    quat_mul,
    quat_rotate,
    quat_unit_positive,
    rot44_from_quat,
)

__all__ = [
    "euclidean_from_rotation_translation", "euclidean_identity", "euclidean_inverse", "euclidean_rotation_matrix",
    "euclidean_translation_vector", "is_euclidean_valid", "transform_apply", "transform_from_euclidean",
    "transform_from_rotation_translation", "transform_identity", "transform_inverse", "transform_mul",
    "transform_rotation", "transform_translation",
]


def euclidean_identity(batch_size: int, device: DeviceLike = None, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(batch_size, 4, 4) identity transforms."""
    return torch.eye(4, device=device, dtype=dtype).repeat(batch_size, 1, 1)


def euclidean_from_rotation_translation(r: Optional[torch.Tensor] = None,
                                        t: Optional[torch.Tensor] = None) -> torch.Tensor:
    """``[[R(r), t], [0, 1]]`` from a rotation quaternion r (B, 4) and a translation t (B, 3) -> (B, 4, 4).

    One of them may be None (identity rotation, zero translation).
    """
    if r is None and t is None:
        raise PipelineError("euclidean_from_rotation_translation: give r, t or both")
    if r is None:
        mat = euclidean_identity(t.shape[0], device=t.device, dtype=t.dtype)
    else:
        mat = rot44_from_quat(r)
    if t is not None:
        mat[..., :3, 3] = t
    return mat


def euclidean_rotation_matrix(x: torch.Tensor) -> torch.Tensor:
    """The rotation block: (..., 4, 4) -> (..., 3, 3)."""
    return x[..., :3, :3]


def euclidean_translation_vector(x: torch.Tensor) -> torch.Tensor:
    """The translation column: (..., 4, 4) -> (..., 3)."""
    return x[..., :3, 3]


def is_euclidean_valid(x: torch.Tensor, throw: bool = False) -> bool:
    """True when every (..., 4, 4) matrix has a valid rotation block and a last row ``(0, 0, 0, 1)``.

    Raises:
        PipelineError: with ``throw``, when it is not valid.
    """
    rotation_ok = is_rot33_valid(euclidean_rotation_matrix(x))
    row_ok = bool((x[..., 3, :3] == 0).all()) and bool((x[..., 3, 3] == 1).all())
    if throw and not (rotation_ok and row_ok):
        raise PipelineError(f"x is not a valid Euclidean transform (rotation valid: {rotation_ok}, "
                            f"last row (0, 0, 0, 1): {row_ok})")
    return rotation_ok and row_ok


def euclidean_inverse(x: torch.Tensor) -> torch.Tensor:
    """``[[Rᵀ, -Rᵀ t], [0, 1]]``: (..., 4, 4) -> (..., 4, 4)."""
    inverse_rotation = euclidean_rotation_matrix(x).transpose(-1, -2)
    mat = torch.zeros_like(x)
    mat[..., :3, :3] = inverse_rotation
    mat[..., :3, 3] = -(inverse_rotation @ euclidean_translation_vector(x).unsqueeze(-1)).squeeze(-1)
    mat[..., 3, 3] = 1
    return mat


def transform_from_rotation_translation(rotation: Optional[torch.Tensor] = None,
                                        translation: Optional[torch.Tensor] = None) -> torch.Tensor:
    """``cat(rotation (..., 4), translation (..., 3))`` -> (..., 7); one of them may be None (identity)."""
    if rotation is None and translation is None:
        raise PipelineError("transform_from_rotation_translation: give rotation, translation or both")
    if rotation is None:
        rotation = quat_identity(translation.shape[:-1], device=translation.device, dtype=translation.dtype)
    if translation is None:
        translation = rotation.new_zeros(*rotation.shape[:-1], 3)
    return torch.cat([rotation, translation], dim=-1)


def transform_from_euclidean(euclidean: torch.Tensor) -> torch.Tensor:
    """Position-quaternion transforms of 4x4 matrices: (..., 4, 4) -> (..., 7)."""
    return transform_from_rotation_translation(quat_from_rot33(euclidean_rotation_matrix(euclidean)),
                                               euclidean_translation_vector(euclidean))


def transform_identity(shape: Sequence[int], device: DeviceLike = None,
                       dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Identity transforms of shape ``(*shape, 7)``."""
    rotation = quat_identity(shape, device=device, dtype=dtype)
    return transform_from_rotation_translation(rotation, rotation.new_zeros(*shape, 3))


def transform_rotation(x: torch.Tensor) -> torch.Tensor:
    """The rotation quaternion: (..., 7) -> (..., 4)."""
    return x[..., :4]


def transform_translation(x: torch.Tensor) -> torch.Tensor:
    """The translation: (..., 7) -> (..., 3)."""
    return x[..., 4:]


def transform_inverse(x: torch.Tensor) -> torch.Tensor:
    """The inverse transform ``(q*, -q* t q)``: (..., 7) -> (..., 7)."""
    inverse = quat_inverse(transform_rotation(x))
    return transform_from_rotation_translation(inverse, quat_rotate(inverse, -transform_translation(x)))


def transform_mul(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The composition ``x ∘ y`` (apply ``y``, then ``x``): (..., 7) x (..., 7) -> (..., 7)."""
    rotation = quat_unit_positive(quat_mul(transform_rotation(x), transform_rotation(y)))
    translation = quat_rotate(transform_rotation(x), transform_translation(y)) + transform_translation(x)
    return transform_from_rotation_translation(rotation, translation)


def transform_apply(transform: torch.Tensor, point: torch.Tensor) -> torch.Tensor:
    """``R p + t``: transforms (..., 7) and points (..., 3) -> (..., 3)."""
    return quat_rotate(transform_rotation(transform), point) + transform_translation(transform)
