"""How :class:`~kaolin_pipeline.render.camera.extrinsics.CameraExtrinsics` stores its view matrices.

A backend holds ``C`` cameras' parameters as one ``(C, K)`` tensor and converts them to and from
``(C, 4, 4)`` world-to-camera matrices. Kaolin's two built-in backends:

- ``matrix_se3``: the 16 matrix entries (K = 16); fast, but an optimiser can make it non-rigid;
- ``matrix_6dof_rotation``: the first two rows of the rotation plus the translation (K = 9); the
  rotation is rebuilt by Gram-Schmidt (Zhou et al. 2019, "On the continuity of rotation
  representations"), so it stays a rotation under any gradient step. The default when gradients are wanted.
"""
from __future__ import annotations

import warnings
from enum import IntEnum
from typing import Dict, List, Type

import torch

__all__ = ["ExtrinsicsParamsDefEnum", "ExtrinsicsRep", "register_backend"]

_REGISTERED_BACKENDS: Dict[str, Type["ExtrinsicsRep"]] = {}


def register_backend(backend_class: Type["ExtrinsicsRep"]) -> Type["ExtrinsicsRep"]:
    """Class decorator: make ``backend_class`` available under its ``backend_name()``."""
    _REGISTERED_BACKENDS[backend_class.backend_name()] = backend_class
    return backend_class


class ExtrinsicsParamsDefEnum(IntEnum):
    """The extrinsic parameter groups: rotation ``R`` and translation ``t``."""

    R = 0
    t = 1


class ExtrinsicsRep:
    """Base backend: ``params`` (C, K), with ``convert_to_mat``/``convert_from_mat`` and ``param_idx``."""

    def __init__(self, params: torch.Tensor, dtype: torch.dtype = None, device=None, requires_grad: bool = False):
        if dtype is not None or device is not None:
            params = params.to(device=device, dtype=dtype)
        if params.grad_fn is not None and not requires_grad:
            params = params.detach()
        if params.grad_fn is None:
            params.requires_grad_(requires_grad)
        self.params = params

    @classmethod
    def backend_name(cls) -> str:
        raise NotImplementedError

    @classmethod
    def from_mat(cls, mat: torch.Tensor, dtype: torch.dtype = None, device=None, requires_grad: bool = False):
        """A backend holding the (C, 4, 4) view matrices ``mat``."""
        return cls(cls.convert_from_mat(mat), dtype, device, requires_grad)

    def update(self, mat: torch.Tensor) -> None:
        """Replace the parameters by those of the (C, 4, 4) matrices ``mat`` (gradients flow through)."""
        self.params = self.convert_from_mat(mat)

    def convert_to_mat(self) -> torch.Tensor:
        raise NotImplementedError

    @classmethod
    def convert_from_mat(cls, mat: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    @classmethod
    def param_idx(cls, param: ExtrinsicsParamsDefEnum) -> List[int]:
        raise NotImplementedError

    def __getitem__(self, item) -> "ExtrinsicsRep":
        params = self.params[item]
        if params.dim() < self.params.dim():
            params = params.unsqueeze(0)
        return type(self)(params, requires_grad=self.requires_grad)

    def to(self, *args, **kwargs) -> "ExtrinsicsRep":
        params = self.params.to(*args, **kwargs)
        if params.device == self.params.device and params.dtype == self.params.dtype:
            return self
        return type(self)(params)

    @property
    def device(self) -> torch.device:
        return self.params.device

    @property
    def dtype(self) -> torch.dtype:
        return self.params.dtype

    @property
    def requires_grad(self) -> bool:
        return self.params.requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.params.requires_grad = value

    def __len__(self) -> int:
        return self.params.shape[0]


@register_backend
class _MatrixSE3Rep(ExtrinsicsRep):
    """The 16 entries of each view matrix, row-major."""

    def __init__(self, params: torch.Tensor, dtype: torch.dtype = None, device=None, requires_grad: bool = False):
        super().__init__(params, dtype, device, requires_grad)
        if requires_grad:
            self._warn_non_rigid()

    @classmethod
    def backend_name(cls) -> str:
        return "matrix_se3"

    def convert_to_mat(self) -> torch.Tensor:
        return self.params.clone().reshape(-1, 4, 4)

    @classmethod
    def convert_from_mat(cls, mat: torch.Tensor) -> torch.Tensor:
        return mat.reshape(-1, 16)

    @classmethod
    def param_idx(cls, param: ExtrinsicsParamsDefEnum) -> List[int]:
        return [0, 1, 2, 4, 5, 6, 8, 9, 10] if param == ExtrinsicsParamsDefEnum.R else [3, 7, 11]

    @ExtrinsicsRep.requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value:
            self._warn_non_rigid()
        self.params.requires_grad = value

    @staticmethod
    def _warn_non_rigid() -> None:
        warnings.warn("matrix_se3 extrinsics can drift to non-rigid transforms under gradient steps; constrain "
                      "them or use the 'matrix_6dof_rotation' backend")


@register_backend
class _Matrix6DofRotationRep(ExtrinsicsRep):
    """Rows 0 and 1 of the rotation (6 numbers) and the translation (3); row 2 = row 0 x row 1."""

    @classmethod
    def backend_name(cls) -> str:
        return "matrix_6dof_rotation"

    def convert_to_mat(self) -> torch.Tensor:
        first = torch.nn.functional.normalize(self.params[:, 0:3], dim=1)
        second = self.params[:, 3:6]
        second = torch.nn.functional.normalize(second - (first * second).sum(1, keepdim=True) * first, dim=1)
        rotation = torch.stack([first, second, torch.linalg.cross(first, second, dim=1)], dim=1)
        top = torch.cat([rotation, self.params[:, 6:9, None]], dim=2)
        bottom = self.params.new_tensor([0.0, 0.0, 0.0, 1.0]).expand(len(self), 1, 4)
        return torch.cat([top, bottom], dim=1)

    @classmethod
    def convert_from_mat(cls, mat: torch.Tensor) -> torch.Tensor:
        return torch.cat([mat[:, :2, :3].reshape(-1, 6), mat[:, :3, 3]], dim=1)

    @classmethod
    def param_idx(cls, param: ExtrinsicsParamsDefEnum) -> List[int]:
        return list(range(6)) if param == ExtrinsicsParamsDefEnum.R else [6, 7, 8]
