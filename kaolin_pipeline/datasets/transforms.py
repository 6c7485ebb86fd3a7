"""Transforms of item dicts: normalisation, point sampling, voxelisation, composition.

Each transform is a callable ``item -> item`` (it returns a new dict and never
modifies the one it is given) with a :meth:`Transform.params` dict that describes
it completely; :mod:`~kaolin_pipeline.datasets.cache` keys cached items with it,
so two transforms with equal ``params()`` must give equal results.
"""
from __future__ import annotations

import hashlib
from typing import Any, Callable, Dict, Optional, Sequence

import torch

from kaolin_pipeline.errors import ConfigError
from kaolin_pipeline.ops.conversions import mesh_to_voxelgrid
from kaolin_pipeline.ops.mesh import face_normals, fit_in_sphere, index_vertices_by_faces
from kaolin_pipeline.ops.sampling import sample_points


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}")
    return value


def item_seed(seed: int, item: Dict[str, Any]) -> torch.Generator:
    """A ``torch.Generator`` seeded from ``seed`` and the item's ``path`` (same item, same draws)."""
    digest = hashlib.sha256(f"{seed}:{item.get('path', '')}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") & (2**63 - 1))


class Transform:
    """Base class: subclasses implement ``__call__(item) -> item`` and :meth:`params`."""

    def params(self) -> Dict[str, Any]:
        """JSON-serialisable description of the transform, including its class name."""
        raise NotImplementedError

    def __call__(self, item: Dict[str, Any]) -> Dict[str, Any]:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items() if k != "name")
        return f"{type(self).__name__}({args})"


class Normalize(Transform):
    """Centre the bounding box of ``vertices`` at the origin and scale the farthest vertex to distance 1."""

    def params(self) -> Dict[str, Any]:
        return {"name": "Normalize"}

    def __call__(self, item: Dict[str, Any]) -> Dict[str, Any]:
        return {**item, "vertices": fit_in_sphere(item["vertices"])[0]}


class SamplePoints(Transform):
    """Add ``points (n, 3)`` sampled uniformly on the surface and their unit face normals ``point_normals (n, 3)``.

    Args:
        num_samples: n, points per item.
        seed: when given, the draws depend only on ``(seed, item['path'])``, so an item is
            sampled the same way in every epoch and worker; when ``None`` torch's global RNG is used.
    """

    def __init__(self, num_samples: int, seed: Optional[int] = None) -> None:
        self.num_samples = _positive_int(num_samples, "SamplePoints num_samples")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ConfigError(f"SamplePoints seed must be an integer or None, got {seed!r}")
        self.seed = seed

    def params(self) -> Dict[str, Any]:
        return {"name": "SamplePoints", "num_samples": self.num_samples, "seed": self.seed}

    def __call__(self, item: Dict[str, Any]) -> Dict[str, Any]:
        vertices, faces = item["vertices"].unsqueeze(0), item["faces"]
        generator = None if self.seed is None else item_seed(self.seed, item)
        points, face_choices = sample_points(vertices, faces, self.num_samples, generator=generator)
        normals = face_normals(index_vertices_by_faces(vertices, faces), unit=True)[0, face_choices[0]]
        return {**item, "points": points[0], "point_normals": normals}


class Voxelize(Transform):
    """Add ``voxels (R, R, R)`` bool occupancy indexed [x, y, z], ``voxel_origin (3,)`` and ``voxel_size ()``.

    Args:
        resolution: R.
        mode: ``'solid'`` (inside filled) or ``'surface'`` (voxels the surface crosses).
        origin, size: world box of the grid; the mesh's bounding cube when ``None``
            (see :func:`kaolin_pipeline.ops.conversions.mesh_to_voxelgrid`).
    """

    def __init__(self, resolution: int, mode: str = "solid", origin: Optional[Sequence[float]] = None,
                 size: Optional[float] = None) -> None:
        self.resolution = _positive_int(resolution, "Voxelize resolution")
        if mode not in ("solid", "surface"):
            raise ConfigError(f"Voxelize mode must be 'solid' or 'surface', got {mode!r}")
        if origin is not None and len(origin) != 3:
            raise ConfigError(f"Voxelize origin must have 3 coordinates, got {origin!r}")
        if size is not None and not size > 0:
            raise ConfigError(f"Voxelize size must be positive, got {size!r}")
        self.mode = mode
        self.origin = None if origin is None else [float(c) for c in origin]
        self.size = None if size is None else float(size)

    def params(self) -> Dict[str, Any]:
        return {"name": "Voxelize", "resolution": self.resolution, "mode": self.mode,
                "origin": self.origin, "size": self.size}

    def __call__(self, item: Dict[str, Any]) -> Dict[str, Any]:
        vertices = item["vertices"]
        origin = None if self.origin is None else torch.tensor(self.origin, dtype=vertices.dtype, device=vertices.device)
        grid = mesh_to_voxelgrid(vertices, item["faces"], self.resolution, origin=origin, size=self.size, mode=self.mode)
        return {**item, "voxels": grid.occupancy, "voxel_origin": grid.origin,
                "voxel_size": torch.tensor(float(grid.size), dtype=vertices.dtype)}


class Compose(Transform):
    """Apply ``transforms`` in order."""

    def __init__(self, transforms: Sequence[Callable[[Dict[str, Any]], Dict[str, Any]]]) -> None:
        self.transforms = list(transforms)

    def params(self) -> Dict[str, Any]:
        return {"name": "Compose", "transforms": [transform_params(t) for t in self.transforms]}

    def __call__(self, item: Dict[str, Any]) -> Dict[str, Any]:
        for transform in self.transforms:
            item = transform(item)
        return item

    def __repr__(self) -> str:
        return f"Compose([{', '.join(repr(t) for t in self.transforms)}])"


def transform_params(transform: Optional[Callable]) -> Any:
    """``transform.params()``, ``None`` for no transform; :class:`ConfigError` if it has no ``params()``.

    A plain function cannot be described, so it cannot take part in a cache key.
    """
    if transform is None:
        return None
    if not callable(getattr(transform, "params", None)):
        raise ConfigError(f"transform {transform!r} has no params() method, so cached items cannot be keyed by it; "
                          "subclass kaolin_pipeline.datasets.transforms.Transform")
    return transform.params()
