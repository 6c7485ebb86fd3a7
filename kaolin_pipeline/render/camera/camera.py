"""Kaolin's ``Camera``: a batch of ``C`` cameras = :class:`CameraExtrinsics` + a :class:`CameraIntrinsics`.

Attributes that only one half has are routed to it (``camera.R``, ``camera.focal_x``, ``camera.width``,
``camera.move_up(...)``), as in Kaolin. :meth:`Camera.from_args` picks the constructors from the keyword
names: the extrinsics from ``eye``/``at``/``up``, ``cam_pos``/``cam_dir`` or ``view_matrix``; the
intrinsics from ``width``/``height`` plus ``fov`` or ``focal_x`` (pinhole), or neither (orthographic,
with an optional ``fov_distance``).
"""
from __future__ import annotations

import inspect
from copy import deepcopy
from typing import Callable, Dict, FrozenSet, List, Optional, Sequence, Tuple

import torch

from ...errors import RenderError
from .extrinsics import CameraExtrinsics
from .extrinsics_backends import ExtrinsicsParamsDefEnum
from .intrinsics import CameraIntrinsics, torch_function_table
from .ortho import OrthographicIntrinsics
from .pinhole import PinholeIntrinsics
from .raygen import generate_rays

__all__ = ["Camera"]

_TORCH_FUNCTIONS, _torch_function = torch_function_table()
_OWN_FIELDS = ("extrinsics", "intrinsics")


def _constructors(*classes) -> Dict[FrozenSet[str], Tuple[Callable, List[str]]]:
    """``{required argument names: (constructor, all its argument names)}`` of the ``from_*`` classmethods."""
    table = {}
    for cls in classes:
        for name, method in inspect.getmembers(cls, inspect.ismethod):
            if not name.startswith("from_") or name == "from_dict":
                continue
            params = list(inspect.signature(method).parameters.values())
            required = frozenset(p.name for p in params if p.default is inspect.Parameter.empty)
            table[required] = (method, [p.name for p in params])
    return table


class Camera:
    """``C`` cameras; see the module docstring. ``len(camera)`` is ``C``; ``camera[i]`` keeps the batch axis."""

    _extrinsics_constructors = _constructors(CameraExtrinsics)
    _intrinsics_constructors = _constructors(OrthographicIntrinsics, PinholeIntrinsics)
    __torch_function__ = _torch_function

    def __init__(self, extrinsics: CameraExtrinsics, intrinsics: CameraIntrinsics):
        if len(extrinsics) != len(intrinsics):
            raise RenderError(f"Camera: {len(extrinsics)} extrinsics but {len(intrinsics)} intrinsics")
        if extrinsics.device != intrinsics.device:
            raise RenderError(f"Camera: extrinsics on {extrinsics.device}, intrinsics on {intrinsics.device}")
        self.extrinsics = extrinsics
        self.intrinsics = intrinsics

    # ------------------------------------------------------------------ constructors

    @classmethod
    def from_args(cls, **kwargs) -> "Camera":
        """A camera from keyword arguments (see the module docstring); ``dtype``, ``device``,
        ``requires_grad`` and ``backend`` go to the extrinsics, whose dtype and device the intrinsics follow."""
        given = frozenset(kwargs)
        extrinsic_keys = [k for k in cls._extrinsics_constructors if k <= given]
        if len(extrinsic_keys) != 1:
            raise RenderError(f"Camera.from_args: cannot tell the extrinsics from {sorted(given)}; give one of "
                              "eye/at/up, cam_pos/cam_dir or view_matrix")
        ext_ctor, ext_args = cls._extrinsics_constructors[extrinsic_keys[0]]
        candidates = [k for k in cls._intrinsics_constructors if k <= given
                      and given <= set(ext_args) | set(cls._intrinsics_constructors[k][1])]
        longest = max(candidates, key=len, default=None)
        if longest is None or not all(k <= longest for k in candidates):
            raise RenderError(f"Camera.from_args: cannot tell the intrinsics from {sorted(given)}; give width and "
                              "height with fov or focal_x (pinhole) or neither (orthographic)")
        int_ctor, int_args = cls._intrinsics_constructors[longest]
        ext_kwargs = {k: v for k, v in kwargs.items() if k in ext_args}
        devices = {v.device for v in ext_kwargs.values() if isinstance(v, torch.Tensor)}
        if "device" not in ext_kwargs and len(devices) > 1:
            raise RenderError(f"Camera.from_args: tensors on several devices {sorted(map(str, devices))}; "
                              "pass device=")
        extrinsics = ext_ctor(**ext_kwargs)
        int_kwargs = {k: v for k, v in kwargs.items() if k in int_args}
        int_kwargs.update(device=extrinsics.device, dtype=extrinsics.dtype)
        int_kwargs.setdefault("num_cameras", len(extrinsics))
        return cls(extrinsics, int_ctor(**int_kwargs))

    def as_dict(self) -> dict:
        if len(self) != 1:
            raise RenderError(f"Camera.as_dict: only a single camera can be exported, this batch has {len(self)}")
        return {"intrinsics": self.intrinsics.as_dict(), "extrinsics": self.extrinsics.as_dict()}

    @classmethod
    def from_dict(cls, in_dict: dict) -> "Camera":
        if "intrinsics" not in in_dict or "extrinsics" not in in_dict:
            raise RenderError(f"Camera.from_dict: need 'intrinsics' and 'extrinsics', got keys {sorted(in_dict)}")
        return cls(CameraExtrinsics.from_dict(in_dict["extrinsics"]), CameraIntrinsics.from_dict(in_dict["intrinsics"]))

    # ------------------------------------------------------------------ projections

    def transform(self, vectors: torch.Tensor) -> torch.Tensor:
        """World points (N, 3) or (C, N, 3) to normalised device coordinates (C, N, 3)
        (the input's shape for a single camera)."""
        projected = self.intrinsics.transform(self.extrinsics.transform(vectors))
        return projected.reshape(vectors.shape) if len(self) == 1 else projected

    def view_projection_matrix(self) -> torch.Tensor:
        """(C, 4, 4) ``projection_matrix() @ view_matrix()``: world points to clip coordinates."""
        return torch.bmm(self.intrinsics.projection_matrix(), self.extrinsics.view_matrix())

    def generate_rays(self, coords_grid: Optional[Tuple[torch.Tensor, torch.Tensor]] = None):
        """World rays through the pixels; see :func:`~kaolin_pipeline.render.camera.raygen.generate_rays`."""
        return generate_rays(self, coords_grid)

    # ------------------------------------------------------------------ parameters

    def parameters(self) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(extrinsics parameters (C, Ke), intrinsics parameters (C, Ki))``."""
        return self.extrinsics.parameters(), self.intrinsics.parameters()

    def gradient_mask(self, *args) -> Tuple[torch.Tensor, torch.Tensor]:
        """Bool masks shaped like :meth:`parameters` selecting the named parameters (``'R'``, ``'t'``,
        ``'focal_x'``, ...)."""
        extrinsic_names = set(ExtrinsicsParamsDefEnum.__members__)
        extrinsic = [a for a in args if isinstance(a, ExtrinsicsParamsDefEnum)
                     or (isinstance(a, str) and a in extrinsic_names)]
        intrinsic = [a for a in args if a not in extrinsic]
        return self.extrinsics.gradient_mask(*extrinsic), self.intrinsics.gradient_mask(*intrinsic)

    def requires_grad_(self, val: bool = True) -> "Camera":
        self.extrinsics.requires_grad = val
        self.intrinsics.requires_grad = val
        return self

    def named_params(self) -> List[dict]:
        return [dict(e, **i) for e, i in zip(self.extrinsics.named_params(), self.intrinsics.named_params())]

    # ------------------------------------------------------------------ shared properties

    @property
    def width(self) -> int:
        return self.intrinsics.width

    @width.setter
    def width(self, value: int) -> None:
        self.intrinsics.width = value

    @property
    def height(self) -> int:
        return self.intrinsics.height

    @height.setter
    def height(self, value: int) -> None:
        self.intrinsics.height = value

    @property
    def lens_type(self) -> str:
        return self.intrinsics.lens_type

    @property
    def device(self) -> torch.device:
        return self.extrinsics.device

    @property
    def dtype(self) -> torch.dtype:
        return self.extrinsics.dtype

    # ------------------------------------------------------------------ devices, batching

    def to(self, *args, **kwargs) -> "Camera":
        return Camera(self.extrinsics.to(*args, **kwargs), self.intrinsics.to(*args, **kwargs))

    def cpu(self) -> "Camera":
        return self.to("cpu")

    def cuda(self) -> "Camera":
        return self.to("cuda")

    def half(self) -> "Camera":
        return self.to(torch.float16)

    def float(self) -> "Camera":
        return self.to(torch.float32)

    def double(self) -> "Camera":
        return self.to(torch.float64)

    @classmethod
    def cat(cls, cameras: Sequence["Camera"]) -> "Camera":
        """One batch holding every camera of ``cameras``, in order."""
        return cls(CameraExtrinsics.cat([c.extrinsics for c in cameras]),
                   CameraIntrinsics.cat([c.intrinsics for c in cameras]))

    def __getitem__(self, item) -> "Camera":
        return Camera(self.extrinsics[item], self.intrinsics[item])

    def __len__(self) -> int:
        return len(self.extrinsics)

    def __eq__(self, other) -> bool:
        return isinstance(other, Camera) and self.extrinsics == other.extrinsics and self.intrinsics == other.intrinsics

    __hash__ = object.__hash__

    def __deepcopy__(self, memo) -> "Camera":
        copied = Camera.__new__(Camera)
        memo[id(self)] = copied
        for name in _OWN_FIELDS:
            object.__setattr__(copied, name, deepcopy(getattr(self, name), memo))
        return copied

    # ------------------------------------------------------------------ attribute routing

    def _owner(self, item: str):
        on_extrinsics = hasattr(self.extrinsics, item)
        on_intrinsics = hasattr(self.intrinsics, item)
        if on_extrinsics and on_intrinsics:
            raise AttributeError(f"Camera: {item!r} exists on both the extrinsics and the intrinsics; "
                                 "use camera.extrinsics or camera.intrinsics")
        return self.extrinsics if on_extrinsics else self.intrinsics if on_intrinsics else None

    def __getattr__(self, item: str):
        if item in _OWN_FIELDS or (item.startswith("__") and item.endswith("__")):
            raise AttributeError(item)
        owner = self._owner(item)
        if owner is None:
            raise AttributeError(f"'Camera' object has no attribute {item!r}")
        return getattr(owner, item)

    def __setattr__(self, item: str, value) -> None:
        if item in _OWN_FIELDS or hasattr(type(self), item):
            object.__setattr__(self, item, value)
            return
        owner = self._owner(item)
        if owner is None:
            object.__setattr__(self, item, value)
        else:
            setattr(owner, item, value)

    def __str__(self) -> str:
        return f"{self.extrinsics}\n{self.intrinsics}"

    def __repr__(self) -> str:
        return f"{self.extrinsics!r}\n{self.intrinsics!r}"


def _allclose(input: Camera, other: Camera, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """``torch.allclose`` of two cameras: both halves close."""
    return (torch.allclose(input.extrinsics, other.extrinsics, rtol=rtol, atol=atol, equal_nan=equal_nan)
            and torch.allclose(input.intrinsics, other.intrinsics, rtol=rtol, atol=atol, equal_nan=equal_nan))


_TORCH_FUNCTIONS[torch.allclose] = _allclose
