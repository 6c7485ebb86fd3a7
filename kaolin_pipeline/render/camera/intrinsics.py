"""Camera intrinsics with the semantics of Kaolin's ``kaolin.render.camera.CameraIntrinsics``.

An intrinsics object holds ``C`` cameras' lens parameters as one ``(C, K)`` tensor ``params``
(differentiable, ``K`` named parameters per lens type) plus the image ``width``/``height`` and the
``near``/``far`` planes, which are plain Python numbers shared by every view of the object (an indexed
camera shares them with its source, as in Kaolin).

Projections follow OpenGL: camera space looks down −z, the projection maps the view frustum to the
normalised device cube ``[-1, 1]³`` (+y up, depth −1 at ``near`` and +1 at ``far``).
"""
from __future__ import annotations

import copy
from enum import IntEnum
from typing import Dict, List, Sequence, Type

import torch

from ...errors import RenderError

__all__ = ["CameraFOV", "CameraIntrinsics", "down_from_homogeneous", "up_to_homogeneous", "torch_function_table"]


def up_to_homogeneous(vectors: torch.Tensor) -> torch.Tensor:
    """``(..., 3)`` vectors to homogeneous ``(..., 4)`` with w = 1 (``(..., 4)`` input is returned as is)."""
    if vectors.shape[-1] == 4:
        return vectors
    return torch.cat([vectors, torch.ones_like(vectors[..., :1])], dim=-1)


def down_from_homogeneous(homogeneous_vectors: torch.Tensor) -> torch.Tensor:
    """Homogeneous ``(..., D + 1)`` vectors to ``(..., D)`` by dividing by the last coordinate."""
    return homogeneous_vectors[..., :-1] / homogeneous_vectors[..., -1:]


class CameraFOV(IntEnum):
    """Which field of view an angle measures."""

    HORIZONTAL = 0
    VERTICAL = 1
    DIAGONAL = 2


def torch_function_table():
    """A ``{torch function: implementation}`` table and the ``__torch_function__`` classmethod that dispatches to it.

    Kaolin's camera classes answer ``torch.allclose(camera_a, camera_b)``; each class registers its own.
    """
    table = {}

    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func not in table or not all(issubclass(t, (torch.Tensor, cls)) for t in types):
            return NotImplemented
        return table[func](*args, **(kwargs or {}))

    return table, classmethod(__torch_function__)


_TORCH_FUNCTIONS, _torch_function = torch_function_table()


class MovesLikeATensor:
    """``cpu()``, ``cuda()``, ``half()``, ``float()``, ``double()`` through the class's own ``to``."""

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def half(self):
        return self.to(torch.float16)

    def float(self):
        return self.to(torch.float32)

    def double(self):
        return self.to(torch.float64)


class CameraIntrinsics(MovesLikeATensor):
    """Base of the lens models: ``C`` cameras' ``(C, K)`` parameters, image size and clipping planes.

    Subclasses define ``param_types()`` (an ``IntEnum`` naming the ``K`` columns of ``params``),
    ``lens_type``, ``projection_matrix()`` (C, 4, 4), ``transform`` and ``zoom``.
    """

    _registered: Dict[str, type] = {}
    __torch_function__ = _torch_function

    DEFAULT_NEAR = 0.01
    DEFAULT_FAR = 100.0

    def __init__(self, width: int, height: int, params: torch.Tensor, near: float = DEFAULT_NEAR,
                 far: float = DEFAULT_FAR):
        if params.dim() == 1:
            params = params.unsqueeze(0)
        if params.dim() != 2 or params.shape[1] != len(self.param_types()):
            raise RenderError(f"{type(self).__name__}: params must be a (C, {len(self.param_types())}) tensor, "
                              f"got shape {tuple(params.shape)}")
        self.params = params
        self._shared_fields = dict(width=width, height=height, near=float(near), far=float(far),
                                   ndc_min=-1.0, ndc_max=1.0)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        CameraIntrinsics._registered[cls.registered_name()] = cls

    # ------------------------------------------------------------------ construction helpers

    @classmethod
    def registered_name(cls) -> str:
        return cls.__name__

    @classmethod
    def param_types(cls) -> Type[IntEnum]:
        raise NotImplementedError

    @classmethod
    def _allocate_params(cls, *values, num_cameras: int = 1, device=None, dtype: torch.dtype = None) -> torch.Tensor:
        """``(num_cameras, K)`` parameters, each row ``values``."""
        if len(values) != len(cls.param_types()):
            raise RenderError(f"{cls.__name__}: expected {len(cls.param_types())} parameters, got {len(values)}")
        dtype = torch.get_default_dtype() if dtype is None else dtype
        return torch.tensor([float(v) for v in values], device=device, dtype=dtype).repeat(num_cameras, 1)

    def as_dict(self) -> dict:
        """The parameters of a single camera as plain numbers, with the lens under ``classname``."""
        if len(self) != 1:
            raise RenderError(f"{type(self).__name__}.as_dict: only a single camera can be exported, got {len(self)}")
        values = dict(width=self.width, height=self.height, near=self.near, far=self.far)
        values.update({name: float(self.params[0, idx]) for name, idx in self.param_types().__members__.items()})
        values["classname"] = self.registered_name()
        return values

    @classmethod
    def from_dict(cls, in_dict: dict) -> "CameraIntrinsics":
        """Intrinsics from :meth:`as_dict`'s output: its ``classname`` picks the lens (on a lens class, it may
        be left out)."""
        name = in_dict.get("classname", None if cls is CameraIntrinsics else cls.registered_name())
        if name not in CameraIntrinsics._registered:
            raise RenderError(f"intrinsics dict: classname {name!r} is not one of {sorted(CameraIntrinsics._registered)}")
        return CameraIntrinsics._registered[name]._from_values({k: v for k, v in in_dict.items() if k != "classname"})

    # ------------------------------------------------------------------ projections

    def aspect_ratio(self) -> float:
        return self.width / self.height

    def projection_matrix(self) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no linear projection matrix; use transform()")

    def viewport_matrix(self, vl=0, vr=None, vb=0, vt=None, min_depth=0.0, max_depth=1.0) -> torch.Tensor:
        """(1, 4, 4) matrix from normalised device coordinates to the viewport ``[vl, vr] x [vb, vt]`` and
        the depth range ``[min_depth, max_depth]`` (OpenGL's ``glViewport`` + ``glDepthRange``)."""
        vr = self.width if vr is None else vr
        vt = self.height if vt is None else vt
        sx, sy = (float(vr) - float(vl)) / 2.0, (float(vt) - float(vb)) / 2.0
        sz = (max_depth - min_depth) / (self.ndc_max - self.ndc_min)
        return self.params.new_tensor([[sx, 0.0, 0.0, float(vl) + sx],
                                       [0.0, sy, 0.0, float(vb) + sy],
                                       [0.0, 0.0, sz, min_depth - self.ndc_min * sz],
                                       [0.0, 0.0, 0.0, 1.0]]).unsqueeze(0)

    def _homogeneous_project(self, vectors: torch.Tensor) -> torch.Tensor:
        """Clip coordinates (C, N, 4) of camera-space vectors (N, 3) or (C, N, 3) under the projection matrix."""
        points = up_to_homogeneous(vectors).expand(len(self), vectors.shape[-2], 4)
        return points @ self.projection_matrix().transpose(1, 2)

    def normalize_depth(self, depth: torch.Tensor) -> torch.Tensor:
        """Camera-space depths (positive distances along −z) ``(N,)`` or ``(C, N)`` to [0, 1], 0 at ``near``."""
        if depth.dim() < 2:
            depth = depth.expand(len(self), *depth.shape)
        proj = self.projection_matrix()
        lo, hi = min(self.near, self.far), max(self.near, self.far)
        z = -depth.clamp(min=lo, max=hi)
        clip_z = proj[:, 2, 2:3] * z + proj[:, 2, 3:4]
        clip_w = proj[:, 3, 2:3] * z + proj[:, 3, 3:4]
        ndc_lo, ndc_hi = min(self.ndc_min, self.ndc_max), max(self.ndc_min, self.ndc_max)
        return ((clip_z / clip_w - ndc_lo) / (ndc_hi - ndc_lo)).clamp(0.0, 1.0)

    def clip_mask(self, depth: torch.Tensor) -> torch.Tensor:
        """True where ``depth`` lies between the near and far planes."""
        return (depth >= min(self.near, self.far)) & (depth <= max(self.near, self.far))

    def set_ndc_range(self, ndc_min, ndc_max):
        raise NotImplementedError("only the normalised device range [-1, 1] is supported")

    # ------------------------------------------------------------------ parameters

    def param_count(self) -> int:
        return len(self.param_types())

    def named_params(self) -> List[Dict[str, float]]:
        names = self.param_types().__members__.items()
        return [{name: self.params[i, idx].item() for name, idx in names} for i in range(len(self))]

    def _set_param(self, value, index: int) -> None:
        """Write one parameter column from a number, a 0-dim or a (C,) tensor (in place, like Kaolin)."""
        if isinstance(value, torch.Tensor) and value.dim() > 1:
            raise RenderError(f"{type(self).__name__}: a parameter must be a number or a (C,) tensor, "
                              f"got shape {tuple(value.shape)}")
        self.params[:, index] = torch.as_tensor(value, dtype=self.dtype, device=self.device)

    def gradient_mask(self, *args) -> torch.Tensor:
        """(C, K) bool mask, True in the columns of the named parameters (names or enum members)."""
        enum = self.param_types()
        try:
            columns = [enum[a] if isinstance(a, str) else enum(a) for a in args]
        except (KeyError, ValueError) as error:
            raise RenderError(f"gradient_mask: unknown {type(self).__name__} parameter {error}") from None
        mask = torch.zeros_like(self.params, dtype=torch.bool)
        mask[:, [int(c) for c in columns]] = True
        return mask

    def parameters(self) -> torch.Tensor:
        return self.params

    @property
    def requires_grad(self) -> bool:
        return self.params.requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.params.requires_grad = value

    @property
    def lens_type(self) -> str:
        raise NotImplementedError

    @property
    def device(self) -> torch.device:
        return self.params.device

    @property
    def dtype(self) -> torch.dtype:
        return self.params.dtype

    # ------------------------------------------------------------------ batching, devices

    def to(self, *args, **kwargs) -> "CameraIntrinsics":
        params = self.params.to(*args, **kwargs)
        if params.dtype == self.params.dtype and params.device == self.params.device:
            return self
        converted = copy.deepcopy(self)
        converted.params = params
        return converted


    @classmethod
    def cat(cls, cameras: Sequence["CameraIntrinsics"]):
        """One object with the cameras of all of ``cameras`` (the first one's size and planes)."""
        if len(cameras) == 0:
            return None
        joined = copy.deepcopy(cameras[0])
        joined.params = torch.cat([c.params for c in cameras], dim=0)
        return joined

    def __getitem__(self, item) -> "CameraIntrinsics":
        view = copy.copy(self)  # shares width, height, near, far
        params = self.params[item]
        view.params = params.unsqueeze(0) if params.dim() < self.params.dim() else params
        return view

    def __len__(self) -> int:
        return self.params.shape[0]

    def __eq__(self, other) -> bool:
        """Same lens, image size, planes and parameter values."""
        return (type(self) is type(other) and self._shared_fields == other._shared_fields
                and self.params.shape == other.params.shape and bool(torch.equal(self.params, other.params)))

    __hash__ = object.__hash__

    def __str__(self) -> str:
        lines = [f"{type(self).__name__} of {len(self)} cameras of resolution {self.width}x{self.height}.\n"]
        lines += [f"Camera #{i}: {params}\n" for i, params in enumerate(self.named_params())]
        return "".join(lines)

    def __repr__(self) -> str:
        return f"{type(self).__name__} of {self.width}x{self.height}, params: {self.params!r}"

    # ------------------------------------------------------------------ shared fields

    @property
    def width(self) -> int:
        return self._shared_fields["width"]

    @width.setter
    def width(self, value: int) -> None:
        self._shared_fields["width"] = value

    @property
    def height(self) -> int:
        return self._shared_fields["height"]

    @height.setter
    def height(self, value: int) -> None:
        self._shared_fields["height"] = value

    @property
    def near(self) -> float:
        return self._shared_fields["near"]

    @near.setter
    def near(self, value: float) -> None:
        self._shared_fields["near"] = value

    @property
    def far(self) -> float:
        return self._shared_fields["far"]

    @far.setter
    def far(self, value: float) -> None:
        self._shared_fields["far"] = value

    @property
    def ndc_min(self) -> float:
        return self._shared_fields["ndc_min"]

    @property
    def ndc_max(self) -> float:
        return self._shared_fields["ndc_max"]


def _allclose(input: CameraIntrinsics, other: CameraIntrinsics, rtol: float = 1e-05, atol: float = 1e-08,
              equal_nan: bool = False) -> bool:
    """``torch.allclose`` of two intrinsics: same lens, close parameters, same image size."""
    return (type(input) is type(other) and input.width == other.width and input.height == other.height
            and torch.allclose(input.params, other.params, rtol=rtol, atol=atol, equal_nan=equal_nan))


_TORCH_FUNCTIONS[torch.allclose] = _allclose
