"""Camera extrinsics with the semantics of Kaolin's ``kaolin.render.camera.CameraExtrinsics``.

``C`` cameras' world-to-camera ("view") matrices ``V`` (C, 4, 4), for column vectors:
``p_cam = R p_world + t`` with ``R = V[:, :3, :3]`` (rows: the camera's right, up and backward axes in
world coordinates) and ``t = V[:, :3, 3:]`` (C, 3, 1). The camera looks down its −z axis, +y up, so
the camera position is ``-R^T t`` and ``cam_forward()`` (the +z axis) points *away* from the scene,
as in Kaolin. The matrices live in a backend (:mod:`.extrinsics_backends`); every operation is
differentiable through the backend's parameters.

A basis change (``change_coordinate_system``, e.g. :func:`~.coordinates.blender_coords`) rotates the
world axes the cameras are expressed in; ``basis_change_matrix`` accumulates it.
"""
from __future__ import annotations

from typing import Dict, Iterable, List, Sequence, Tuple, Union

import numpy as np
import torch

from ...errors import RenderError
from .extrinsics_backends import _REGISTERED_BACKENDS, ExtrinsicsParamsDefEnum, ExtrinsicsRep, register_backend
from .intrinsics import MovesLikeATensor, torch_function_table

__all__ = ["CameraExtrinsics", "ExtrinsicsRep", "register_backend"]

_TORCH_FUNCTIONS, _torch_function = torch_function_table()
#: The constructors' dtype, as Kaolin's (the default dtype when imported); ``dtype=None`` keeps the input's.
DEFAULT_DTYPE = torch.get_default_dtype()
Vectors = Union[np.ndarray, torch.Tensor, Sequence[float]]


def _as_tensor(data: Vectors, dtype: torch.dtype, device) -> torch.Tensor:
    """``data`` as a tensor of ``dtype`` (None: a tensor's or array's own dtype, else the default) on ``device``."""
    if isinstance(data, torch.Tensor):
        return data.to(dtype=dtype, device=device)
    if isinstance(data, np.ndarray):
        return torch.from_numpy(data).to(dtype=dtype, device=device)
    return torch.tensor(data, dtype=dtype, device=device)


def _rows(vectors: torch.Tensor, name: str) -> torch.Tensor:
    """(3,), (3, 1), (C, 3) or (C, 3, 1) vectors as (C, 3)."""
    if vectors.shape[-1] == 1 and vectors.dim() > 1:
        vectors = vectors.squeeze(-1)
    if vectors.dim() == 1:
        vectors = vectors.unsqueeze(0)
    if vectors.dim() != 2 or vectors.shape[1] != 3:
        raise RenderError(f"{name} must be a (3,) or (C, 3) tensor, got shape {tuple(vectors.shape)}")
    return vectors


def _axis(column: int, like: torch.Tensor) -> torch.Tensor:
    """(C, 3, 1) unit vectors along world axis ``column``, shaped like the translation ``like``."""
    axis = torch.zeros_like(like)
    axis[:, column] = 1.0
    return axis


class CameraExtrinsics(MovesLikeATensor):
    """``C`` cameras' position and orientation; see the module docstring for the conventions."""

    DEFAULT_BACKEND = "matrix_se3"
    DEFAULT_DIFFERENTIABLE_BACKEND = "matrix_6dof_rotation"
    __torch_function__ = _torch_function

    def __init__(self, backend: ExtrinsicsRep, shared_fields: dict = None):
        self._backend = backend
        self._shared_fields = shared_fields if shared_fields is not None else dict(
            base_change_matrix=torch.eye(3, device=backend.device, dtype=backend.dtype),
            user_requested_backend=False)

    # ------------------------------------------------------------------ constructors

    @classmethod
    def _from_matrices(cls, mat: torch.Tensor, dtype, device, requires_grad: bool,
                       backend: str = None) -> "CameraExtrinsics":
        if mat.dim() == 2:
            mat = mat.unsqueeze(0)
        if mat.dim() != 3 or mat.shape[1:] != (4, 4):
            raise RenderError(f"view_matrix must be a (4, 4) or (C, 4, 4) tensor, got shape {tuple(mat.shape)}")
        if backend is not None and backend not in _REGISTERED_BACKENDS:
            raise RenderError(f"backend {backend!r} is not one of {sorted(_REGISTERED_BACKENDS)}")
        name = backend or (cls.DEFAULT_DIFFERENTIABLE_BACKEND if requires_grad else cls.DEFAULT_BACKEND)
        extrinsics = cls(_REGISTERED_BACKENDS[name].from_mat(mat, dtype, device, requires_grad))
        extrinsics._shared_fields["user_requested_backend"] = backend is not None
        return extrinsics

    @classmethod
    def _from_rotation_translation(cls, rotation: torch.Tensor, translation: torch.Tensor, dtype, device,
                                   requires_grad: bool, backend: str) -> "CameraExtrinsics":
        """From world-to-camera rotations (C, 3, 3) and translations (C, 3)."""
        top = torch.cat([rotation, translation.unsqueeze(-1)], dim=-1)
        bottom = rotation.new_tensor([0.0, 0.0, 0.0, 1.0]).expand(rotation.shape[0], 1, 4)
        return cls._from_matrices(torch.cat([top, bottom], dim=1), dtype, device, requires_grad, backend)

    @classmethod
    def from_camera_pose(cls, cam_pos: Vectors, cam_dir: Vectors, dtype: torch.dtype = DEFAULT_DTYPE, device=None,
                         requires_grad: bool = False, backend: str = None) -> "CameraExtrinsics":
        """From camera positions ``cam_pos`` (3,) or (C, 3) and orientations ``cam_dir`` (3, 3) or (C, 3, 3),
        whose columns are the camera's right, up and backward axes in world coordinates."""
        position = _rows(_as_tensor(cam_pos, dtype, device), "cam_pos")
        orientation = _as_tensor(cam_dir, dtype, device)
        if orientation.shape[-2:] != (3, 3):
            raise RenderError(f"cam_dir must be a (3, 3) or (C, 3, 3) tensor, got shape {tuple(orientation.shape)}")
        rotation = orientation.transpose(-1, -2).expand(position.shape[0], 3, 3) if orientation.dim() == 2 \
            else orientation.transpose(-1, -2)
        translation = -(rotation @ position.unsqueeze(-1)).squeeze(-1)
        return cls._from_rotation_translation(rotation, translation, dtype, device, requires_grad, backend)

    @classmethod
    def from_lookat(cls, eye: Vectors, at: Vectors, up: Vectors, dtype: torch.dtype = DEFAULT_DTYPE, device=None,
                    requires_grad: bool = False, backend: str = None) -> "CameraExtrinsics":
        """Cameras at ``eye`` looking at ``at`` with ``up`` appearing up; each (3,) or (C, 3)."""
        eye, at, up = (_rows(_as_tensor(v, dtype, device), name) for v, name in ((eye, "eye"), (at, "at"), (up, "up")))
        forward = torch.nn.functional.normalize(at - eye, dim=-1)
        right = torch.nn.functional.normalize(torch.linalg.cross(forward, up.expand_as(forward), dim=-1), dim=-1)
        true_up = torch.linalg.cross(right, forward, dim=-1)
        rotation = torch.stack([right, true_up, -forward], dim=1)
        translation = -(rotation @ eye.expand_as(forward).unsqueeze(-1)).squeeze(-1)
        return cls._from_rotation_translation(rotation, translation, dtype, device, requires_grad, backend)

    @classmethod
    def from_view_matrix(cls, view_matrix: Vectors, dtype: torch.dtype = DEFAULT_DTYPE, device=None,
                         requires_grad: bool = False, backend: str = None) -> "CameraExtrinsics":
        """From world-to-camera matrices (4, 4) or (C, 4, 4)."""
        return cls._from_matrices(_as_tensor(view_matrix, dtype, device), dtype, device, requires_grad, backend)

    def as_dict(self) -> dict:
        return {"view_matrix": self.view_matrix().squeeze(0).detach().cpu().tolist()}

    @classmethod
    def from_dict(cls, in_dict: dict) -> "CameraExtrinsics":
        return cls.from_view_matrix(torch.as_tensor(np.asarray(in_dict["view_matrix"])))

    # ------------------------------------------------------------------ backends

    @classmethod
    def available_backends(cls) -> Iterable[str]:
        return _REGISTERED_BACKENDS.keys()

    @property
    def backend_name(self) -> str:
        return type(self._backend).backend_name()

    @torch.no_grad()
    def _internal_switch_backend(self, backend_name: str) -> None:
        if backend_name not in _REGISTERED_BACKENDS:
            raise RenderError(f"backend {backend_name!r} is not one of {sorted(_REGISTERED_BACKENDS)}")
        self._backend = _REGISTERED_BACKENDS[backend_name].from_mat(
            self._backend.convert_to_mat(), self.dtype, self.device, self.requires_grad)
        self._shared_fields = self._shared_fields.copy()

    def switch_backend(self, backend_name: str) -> None:
        """Store the matrices in another registered backend (kept even when ``requires_grad`` changes)."""
        self._internal_switch_backend(backend_name)
        self._shared_fields["user_requested_backend"] = True

    # ------------------------------------------------------------------ matrices

    def view_matrix(self) -> torch.Tensor:
        """(C, 4, 4) world-to-camera matrices."""
        return self._backend.convert_to_mat()

    def inv_view_matrix(self) -> torch.Tensor:
        """(C, 4, 4) camera-to-world matrices (rigid inverse)."""
        rotation_t = self.R.transpose(1, 2)
        top = torch.cat([rotation_t, -rotation_t @ self.t], dim=2)
        bottom = rotation_t.new_tensor([0.0, 0.0, 0.0, 1.0]).expand(len(self), 1, 4)
        return torch.cat([top, bottom], dim=1)

    def update(self, mat: torch.Tensor) -> None:
        """Replace the view matrices by ``mat`` (C, 4, 4)."""
        self._backend.update(mat)

    def _replace(self, rows: slice, cols: slice, value: torch.Tensor) -> None:
        mat = self.view_matrix()
        mat[:, rows, cols] = value
        self._backend.update(mat)

    @property
    def R(self) -> torch.Tensor:
        """(C, 3, 3) world-to-camera rotations."""
        return self.view_matrix()[:, :3, :3]

    @R.setter
    def R(self, value: torch.Tensor) -> None:
        self._replace(slice(0, 3), slice(0, 3), value)

    @property
    def t(self) -> torch.Tensor:
        """(C, 3, 1) world-to-camera translations."""
        return self.view_matrix()[:, :3, 3:]

    @t.setter
    def t(self, value: torch.Tensor) -> None:
        self._replace(slice(0, 3), slice(3, 4), value.unsqueeze(-1) if value.dim() == 1 else value)

    def _check_like(self, what: str, *tensors: torch.Tensor) -> None:
        for tensor in tensors:
            if tensor.dtype != self.dtype or tensor.device != self.device:
                raise RenderError(f"CameraExtrinsics ({self.dtype}, {self.device}) cannot {what} a tensor of "
                                  f"({tensor.dtype}, {tensor.device})")

    def transform(self, vectors: torch.Tensor) -> torch.Tensor:
        """World points (N, 3) or (C, N, 3) to camera space: (C, N, 3), ``R p + t``."""
        self._check_like("transform", vectors)
        points = vectors.expand(len(self), vectors.shape[-2], 3)
        return points @ self.R.transpose(1, 2) + self.t.transpose(1, 2)

    def inv_transform_rays(self, ray_orig: torch.Tensor, ray_dir: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Camera-space rays (N, 3) or (C, N, 3) to world space: origins ``R^T (o - t)``, directions
        ``R^T d`` (not renormalised); each (C, N, 3)."""
        self._check_like("transform rays of", ray_orig, ray_dir)
        count = ray_dir.shape[-2]
        origins = ray_orig.expand(len(self), count, 3)
        directions = ray_dir.expand(len(self), count, 3)
        return (origins - self.t.transpose(1, 2)) @ self.R, directions @ self.R

    # ------------------------------------------------------------------ moving the cameras

    def translate(self, t: torch.Tensor) -> None:
        """Move the cameras by ``t`` (3,), (C, 3) or (C, 3, 1) in world coordinates."""
        self._check_like("translate by", t)
        self.t = self.t - self.R @ (t.unsqueeze(-1) if t.shape[-1] != 1 else t)

    def rotate(self, yaw=None, pitch=None, roll=None) -> None:
        """Turn the cameras about their own axes, in radians: yaw about y, pitch about x, roll about z
        (applied in that order, each a number or a (C,) tensor)."""
        def angle(value):
            value = torch.as_tensor(value, dtype=self.dtype, device=self.device)
            return value.reshape(-1).expand(len(self))

        rotation = torch.eye(3, dtype=self.dtype, device=self.device).expand(len(self), 3, 3)
        # (i, j): the entry holding -sin; (j, i) holds +sin.
        for value, (i, j) in ((yaw, (0, 2)), (pitch, (2, 1)), (roll, (0, 1))):
            if value is None:
                continue
            value = angle(value)
            step = torch.eye(3, dtype=self.dtype, device=self.device).repeat(len(self), 1, 1)
            step[:, i, i] = torch.cos(value)
            step[:, j, j] = torch.cos(value)
            step[:, i, j] = -torch.sin(value)
            step[:, j, i] = torch.sin(value)
            rotation = step @ rotation
        mat = self.view_matrix()
        top = torch.cat([rotation @ mat[:, :3, :3], rotation @ mat[:, :3, 3:]], dim=2)
        self._backend.update(torch.cat([top, mat[:, 3:]], dim=1))

    def move_right(self, amount) -> None:
        """Move the cameras ``amount`` along their own right (x) axis."""
        self.t = self.t - _axis(0, self.t) * amount

    def move_up(self, amount) -> None:
        """Move the cameras ``amount`` along their own up (y) axis."""
        self.t = self.t - _axis(1, self.t) * amount

    def move_forward(self, amount) -> None:
        """Move the cameras ``amount`` along their own +z axis (backwards, away from what they look at)."""
        self.t = self.t - _axis(2, self.t) * amount

    def cam_pos(self) -> torch.Tensor:
        """(C, 3, 1) camera positions in world coordinates."""
        return -self.R.transpose(1, 2) @ self.t

    def cam_right(self) -> torch.Tensor:
        """(C, 3, 1) the cameras' x axis in world coordinates."""
        return self.R.transpose(1, 2) @ _axis(0, self.t)

    def cam_up(self) -> torch.Tensor:
        """(C, 3, 1) the cameras' y axis in world coordinates."""
        return self.R.transpose(1, 2) @ _axis(1, self.t)

    def cam_forward(self) -> torch.Tensor:
        """(C, 3, 1) the cameras' +z axis in world coordinates (pointing away from the view direction)."""
        return self.R.transpose(1, 2) @ _axis(2, self.t)

    # ------------------------------------------------------------------ coordinate systems

    @property
    def basis_change_matrix(self) -> torch.Tensor:
        """(3, 3) product of the basis changes applied so far (identity initially)."""
        return self._shared_fields["base_change_matrix"]

    def change_coordinate_system(self, basis_change: Vectors) -> None:
        """Re-express the cameras in world axes rotated by ``basis_change`` (3, 3) (``R <- R basis_change^T``)."""
        basis_change = _as_tensor(basis_change, self.dtype, self.device)
        if basis_change.shape != (3, 3):
            raise RenderError(f"basis_change must be a (3, 3) matrix, got shape {tuple(basis_change.shape)}")
        self._shared_fields["base_change_matrix"] = self.basis_change_matrix @ basis_change
        self.R = self.R @ basis_change.T

    def reset_coordinate_system(self) -> None:
        """Undo every basis change (back to the world axes the cameras were made in)."""
        self.change_coordinate_system(self.basis_change_matrix.T)

    # ------------------------------------------------------------------ parameters and gradients

    def parameters(self) -> torch.Tensor:
        """(C, K) the backend's parameter tensor (pass it to an optimiser)."""
        return self._backend.params

    @property
    def requires_grad(self) -> bool:
        return self._backend.requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        """Turning gradients on moves a leaf to the 6-DoF backend (off: back to SE3), unless a backend was chosen."""
        if self.requires_grad != value and not self._shared_fields["user_requested_backend"]:
            differentiable = value and self.parameters().is_leaf
            self._internal_switch_backend(self.DEFAULT_DIFFERENTIABLE_BACKEND if differentiable
                                          else self.DEFAULT_BACKEND)
        self._backend.requires_grad = value

    def gradient_mask(self, *args: Union[str, ExtrinsicsParamsDefEnum]) -> torch.Tensor:
        """(C, K) bool mask of the backend parameters of the named groups (``'R'``, ``'t'``)."""
        try:
            groups = [ExtrinsicsParamsDefEnum[a] if isinstance(a, str) else ExtrinsicsParamsDefEnum(a) for a in args]
        except (KeyError, ValueError) as error:
            raise RenderError(f"gradient_mask: unknown extrinsics parameter {error}; use 'R' or 't'") from None
        mask = torch.zeros_like(self.parameters(), dtype=torch.bool)
        for group in groups:
            mask[:, self._backend.param_idx(group)] = True
        return mask

    def named_params(self) -> List[Dict[str, torch.Tensor]]:
        params = self.parameters()
        r_idx = self._backend.param_idx(ExtrinsicsParamsDefEnum.R)
        t_idx = self._backend.param_idx(ExtrinsicsParamsDefEnum.t)
        return [dict(R=params[i, r_idx], t=params[i, t_idx]) for i in range(len(self))]

    # ------------------------------------------------------------------ devices, batching

    @property
    def device(self) -> torch.device:
        return self._backend.device

    @property
    def dtype(self) -> torch.dtype:
        return self._backend.dtype

    def to(self, *args, **kwargs) -> "CameraExtrinsics":
        backend = self._backend.to(*args, **kwargs)
        if backend is self._backend:
            return self
        moved = CameraExtrinsics(backend)
        moved._shared_fields["base_change_matrix"] = self.basis_change_matrix.to(device=backend.device,
                                                                                 dtype=backend.dtype)
        return moved


    def __len__(self) -> int:
        return len(self._backend)

    def __getitem__(self, item) -> "CameraExtrinsics":
        return CameraExtrinsics(self._backend[item], self._shared_fields)

    @classmethod
    def cat(cls, cameras: Sequence["CameraExtrinsics"]) -> "CameraExtrinsics":
        """One object holding all cameras of ``cameras`` (the first one's backend and basis)."""
        if len(cameras) == 0:
            return None
        first = cameras[0]
        joined = cls.from_view_matrix(torch.cat([c.view_matrix() for c in cameras]), dtype=first.dtype,
                                      device=first.device, requires_grad=first.requires_grad,
                                      backend=first.backend_name)
        joined._shared_fields["base_change_matrix"] = first.basis_change_matrix
        return joined

    def __repr__(self) -> str:
        return (f"CameraExtrinsics of {len(self)} cameras, device: {self.device}, dtype: {self.dtype}, "
                f"backend: {type(self._backend).__name__}.\nCoordinates basis: \n{self.basis_change_matrix}.\n"
                f"Extrinsic params: {self.parameters()}\n")

    def __str__(self) -> str:
        view, inverse = self.view_matrix(), self.inv_view_matrix()
        cameras = [f"Camera #{i} View Matrix: \n{view[i]},\nCamera #{i} Inverse View Matrix: \n{inverse[i]}\n"
                   for i in range(len(self))]
        return (f"CameraExtrinsics of {len(self)} cameras, of coordinate system: \n{self.basis_change_matrix}. \n"
                + "\n".join(cameras))


def _allclose(input: CameraExtrinsics, other: CameraExtrinsics, rtol: float = 1e-05, atol: float = 1e-08,
              equal_nan: bool = False) -> bool:
    """``torch.allclose`` of two extrinsics: same backend and close parameters."""
    return input.backend_name == other.backend_name and torch.allclose(
        input.parameters(), other.parameters(), rtol=rtol, atol=atol, equal_nan=equal_nan)


_TORCH_FUNCTIONS[torch.allclose] = _allclose
