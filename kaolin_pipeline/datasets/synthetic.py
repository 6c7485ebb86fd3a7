"""Procedural textured shapes: a dataset that needs no files.

Every shape is a closed triangle mesh, counter-clockwise seen from outside,
watertight, centred near the origin and fitting inside the unit sphere. It comes
with per-vertex colours, a (3, 64, 64) procedural texture (checker or stripes) and
UVs from a mapping that suits the family (spherical / cylindrical / toroidal /
per-side for the cube). Item ``i`` of :class:`SyntheticShapes` depends only on
``(seed, i)``, so shuffling and ``DataLoader`` workers never change it.
"""
from __future__ import annotations

import hashlib
import math
from typing import Callable, Dict, Optional, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from kaolin_pipeline.datasets.collate import mesh_to_item
from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.errors import ConfigError

FAMILIES = ("sphere", "cube", "torus", "cylinder", "cone", "capsule", "superquadric", "blob")
"""Names of the procedural shape families; they are also the item categories."""

TEXTURE_SIZE = 64
_RINGS = 16  # latitude steps of pole-to-pole grids (rings + 2 poles)
_SEGMENTS = 32  # longitude steps around the z axis


def _uniform(generator: torch.Generator, low: float, high: float, size: Sequence[int] = ()) -> torch.Tensor:
    """(size) float64 draws in [low, high) from ``generator``."""
    return low + (high - low) * torch.rand(tuple(size), generator=generator, dtype=torch.float64)


# --------------------------------------------------------------------------- topology helpers


def _grid_faces(rows: int, cols: int, wrap_cols: bool) -> torch.Tensor:
    """(2 * (rows - 1) * cells, 3) faces of a rows x cols vertex grid, laid out row-major.

    Row ``r + 1`` lies after row ``r`` along the second surface direction; with a
    right-handed (column, row) parametrisation the triangles face the side the
    parametrisation's normal points to.
    """
    cells = cols if wrap_cols else cols - 1
    r = torch.arange(rows - 1).view(-1, 1)
    c = torch.arange(cells).view(1, -1)
    c_next = (c + 1) % cols
    a, b = r * cols + c, r * cols + c_next
    d, e = (r + 1) * cols + c, (r + 1) * cols + c_next
    lower = torch.stack([a, b, e], dim=-1).reshape(-1, 3)
    upper = torch.stack([a, e, d], dim=-1).reshape(-1, 3)
    return torch.cat([lower, upper], dim=0)


def _pole_to_pole_mesh(rings: torch.Tensor, bottom: torch.Tensor, top: torch.Tensor, v_coords: torch.Tensor):
    """Close a stack of rings with a pole vertex at each end, with cylindrical UVs.

    Args:
        rings: (R, S, 3) vertex rings from bottom to top, each counter-clockwise seen from +z.
        bottom, top: (3,) pole vertices.
        v_coords: (R + 2,) texture v of the bottom pole, each ring and the top pole, increasing.

    Returns:
        vertices (R*S + 2, 3), faces (F, 3), uvs (T, 2), face_uvs_idx (F, 3), outward-wound.
    """
    num_rings, segs = rings.shape[:2]
    vertices = torch.cat([bottom.view(1, 3), rings.reshape(-1, 3), top.view(1, 3)], dim=0)
    first, last = 1, 1 + (num_rings - 1) * segs
    bottom_idx, top_idx = 0, vertices.shape[0] - 1
    s = torch.arange(segs)
    s_next = (s + 1) % segs
    bottom_fan = torch.stack([torch.full_like(s, bottom_idx), first + s_next, first + s], dim=-1)
    top_fan = torch.stack([torch.full_like(s, top_idx), last + s, last + s_next], dim=-1)
    side = 1 + _grid_faces(num_rings, segs, wrap_cols=True)
    faces = torch.cat([bottom_fan, side, top_fan], dim=0)

    # UVs: the ring grid gets a seam column (u = 1), each pole triangle its own pole uv.
    u = torch.arange(segs + 1, dtype=torch.float64) / segs
    ring_uvs = torch.stack(torch.broadcast_tensors(u.view(1, -1), v_coords[1:-1].view(-1, 1)), dim=-1)
    pole_u = (torch.arange(segs, dtype=torch.float64) + 0.5) / segs
    bottom_uvs = torch.stack([pole_u, torch.full_like(pole_u, float(v_coords[0]))], dim=-1)
    top_uvs = torch.stack([pole_u, torch.full_like(pole_u, float(v_coords[-1]))], dim=-1)
    uvs = torch.cat([ring_uvs.reshape(-1, 2), bottom_uvs, top_uvs], dim=0)
    last_row = (num_rings - 1) * (segs + 1)  # uv index of the top ring's first column
    first_bottom_uv, first_top_uv = num_rings * (segs + 1), num_rings * (segs + 1) + segs
    uv_bottom_fan = torch.stack([first_bottom_uv + s, s + 1, s], dim=-1)
    uv_top_fan = torch.stack([first_top_uv + s, last_row + s, last_row + s + 1], dim=-1)
    uv_side = _grid_faces(num_rings, segs + 1, wrap_cols=False)
    face_uvs_idx = torch.cat([uv_bottom_fan, uv_side, uv_top_fan], dim=0)
    return vertices, faces, uvs, face_uvs_idx


def _angles(segments: int) -> torch.Tensor:
    """(segments,) longitudes in [0, 2 pi)."""
    return torch.arange(segments, dtype=torch.float64) * (2 * math.pi / segments)


def _lathe(radii: torch.Tensor, heights: torch.Tensor, segments: int = _SEGMENTS):
    """Surface of revolution around z of a profile from a bottom pole to a top pole.

    Args:
        radii, heights: (P,) profile points; the first and last have radius 0 (the poles).
    Texture v follows the profile's arc length.
    """
    phi = _angles(segments)
    ring_r, ring_z = radii[1:-1].view(-1, 1), heights[1:-1].view(-1, 1)
    rings = torch.stack([ring_r * torch.cos(phi), ring_r * torch.sin(phi), ring_z.expand(-1, segments)], dim=-1)
    steps = torch.sqrt(torch.diff(radii) ** 2 + torch.diff(heights) ** 2)
    arc = torch.cat([torch.zeros(1, dtype=torch.float64), torch.cumsum(steps, 0)])
    bottom, top = (torch.stack([torch.zeros_like(z), torch.zeros_like(z), z]) for z in (heights[0], heights[-1]))
    return _pole_to_pole_mesh(rings, bottom, top, arc / arc[-1])


def _radial_surface(radius_fn: Callable[[torch.Tensor], torch.Tensor], rings: int = _RINGS, segments: int = _SEGMENTS):
    """Star-shaped closed surface ``p = radius_fn(d) * d`` over unit directions d, spherical UVs.

    ``radius_fn`` maps (..., 3) unit directions to (..., 3) points (it may scale per axis).
    """
    theta = torch.arange(1, rings + 1, dtype=torch.float64) * (math.pi / (rings + 1)) - math.pi / 2
    phi = _angles(segments)
    th, ph = theta.view(-1, 1), phi.view(1, -1)
    dirs = torch.stack(torch.broadcast_tensors(torch.cos(th) * torch.cos(ph), torch.cos(th) * torch.sin(ph), torch.sin(th)), dim=-1)
    south, north = torch.tensor([0.0, 0.0, -1.0], dtype=torch.float64), torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64)
    v_coords = torch.cat([torch.zeros(1, dtype=torch.float64), (theta + math.pi / 2) / math.pi, torch.ones(1, dtype=torch.float64)])
    return _pole_to_pole_mesh(radius_fn(dirs), radius_fn(south), radius_fn(north), v_coords)


# --------------------------------------------------------------------------- families: random parameters


def _draw_sphere(g: torch.Generator) -> dict:
    return {"radii": _uniform(g, 0.6, 1.0, (3,)).tolist()}


def _draw_cube(g: torch.Generator) -> dict:
    return {"extents": _uniform(g, 0.8, 1.6, (3,)).tolist(), "subdivisions": 6}


def _draw_torus(g: torch.Generator) -> dict:
    major = float(_uniform(g, 0.55, 0.75))
    return {"major_radius": major, "minor_radius": float(_uniform(g, 0.15, 0.45)) * major}


def _draw_cylinder(g: torch.Generator) -> dict:
    return {"radius": float(_uniform(g, 0.3, 0.7)), "height": float(_uniform(g, 0.6, 1.6))}


def _draw_cone(g: torch.Generator) -> dict:
    return {"radius": float(_uniform(g, 0.35, 0.75)), "height": float(_uniform(g, 0.7, 1.6))}


def _draw_capsule(g: torch.Generator) -> dict:
    radius = float(_uniform(g, 0.25, 0.5))
    return {"radius": radius, "height": float(_uniform(g, 0.2, 1.0))}


def _draw_superquadric(g: torch.Generator) -> dict:
    return {"radii": _uniform(g, 0.5, 1.0, (3,)).tolist(), "exponents": _uniform(g, 0.3, 1.8, (2,)).tolist()}


def _draw_blob(g: torch.Generator) -> dict:
    bumps = 6
    centres = torch.randn(bumps, 3, generator=g, dtype=torch.float64)
    centres = centres / centres.norm(dim=-1, keepdim=True)
    return {
        "bump_directions": centres.tolist(),
        "bump_heights": _uniform(g, -0.25, 0.45, (bumps,)).tolist(),
        "bump_sharpness": float(_uniform(g, 2.0, 5.0)),
    }


# --------------------------------------------------------------------------- families: geometry


def _as64(values) -> torch.Tensor:
    return torch.as_tensor(values, dtype=torch.float64)


def _build_sphere(radii) -> tuple:
    radii = _as64(radii)
    return _radial_surface(lambda d: d * radii)


def _signed_power(x: torch.Tensor, exponent: float) -> torch.Tensor:
    return torch.sign(x) * x.abs() ** exponent


def _build_superquadric(radii, exponents) -> tuple:
    radii, (e_lat, e_lon) = _as64(radii), [float(e) for e in exponents]

    def surface(d: torch.Tensor) -> torch.Tensor:
        cos_lat = torch.sqrt(d[..., 0] ** 2 + d[..., 1] ** 2)
        lon = torch.atan2(d[..., 1], d[..., 0])
        x = _signed_power(cos_lat, e_lat) * _signed_power(torch.cos(lon), e_lon)
        y = _signed_power(cos_lat, e_lat) * _signed_power(torch.sin(lon), e_lon)
        z = _signed_power(d[..., 2], e_lat)
        return torch.stack([x, y, z], dim=-1) * radii

    return _radial_surface(surface)


def _build_blob(bump_directions, bump_heights, bump_sharpness) -> tuple:
    centres, heights = _as64(bump_directions), _as64(bump_heights)

    def surface(d: torch.Tensor) -> torch.Tensor:
        cosine = d @ centres.T
        radius = 0.6 + (heights * torch.exp(float(bump_sharpness) * (cosine - 1.0))).sum(-1)
        return d * radius.clamp(min=0.25).unsqueeze(-1)

    return _radial_surface(surface)


def _build_cylinder(radius, height) -> tuple:
    h = float(height) / 2
    side = torch.linspace(-h, h, 6, dtype=torch.float64)
    radii = _as64([0.0] + [float(radius)] * side.numel() + [0.0])
    heights = torch.cat([_as64([-h]), side, _as64([h])])
    return _lathe(radii, heights)


def _build_cone(radius, height) -> tuple:
    h = float(height) / 2
    t = torch.linspace(0.0, 1.0, 9, dtype=torch.float64)[:-1]  # side rings from the rim up, apex excluded
    radii = torch.cat([_as64([0.0]), float(radius) * (1 - t), _as64([0.0])])
    heights = torch.cat([_as64([-h]), -h + t * 2 * h, _as64([h])])
    return _lathe(radii, heights)


def _build_capsule(radius, height) -> tuple:
    r, h = float(radius), float(height) / 2
    cap = torch.linspace(0.0, math.pi / 2, 7, dtype=torch.float64)  # pole to equator
    side = torch.linspace(-h, h, 4, dtype=torch.float64)[1:-1]
    radii = torch.cat([r * torch.sin(cap), torch.full_like(side, r), r * torch.sin(cap).flip(0)])
    heights = torch.cat([-h - r * torch.cos(cap), side, h + r * torch.cos(cap).flip(0)])
    return _lathe(radii, heights)


def _build_torus(major_radius, minor_radius, rings: int = 16, segments: int = _SEGMENTS) -> tuple:
    """Torus around z; u goes around the z axis, v around the tube (both wrap, with seams in UV)."""
    big, small = float(major_radius), float(minor_radius)
    u, v = _angles(segments).view(1, -1), _angles(rings).view(-1, 1)
    tube = big + small * torch.cos(v)
    grid = torch.stack(torch.broadcast_tensors(tube * torch.cos(u), tube * torch.sin(u), small * torch.sin(v)), dim=-1)
    vertices = grid.reshape(-1, 3)
    # Close the grid's rows into a loop by appending the first row again, then fold indices back.
    faces = _grid_faces(rings + 1, segments, wrap_cols=True) % (rings * segments)
    uu = torch.arange(segments + 1, dtype=torch.float64) / segments
    vv = torch.arange(rings + 1, dtype=torch.float64) / rings
    uvs = torch.stack(torch.broadcast_tensors(uu.view(1, -1), vv.view(-1, 1)), dim=-1).reshape(-1, 2)
    face_uvs_idx = _grid_faces(rings + 1, segments + 1, wrap_cols=False)
    return vertices, faces, uvs, face_uvs_idx


def _build_cube(extents, subdivisions: int = 6) -> tuple:
    """Box with ``subdivisions`` x ``subdivisions`` quads per side; each side shows the whole texture."""
    n = int(subdivisions)
    t = torch.linspace(-1.0, 1.0, n + 1, dtype=torch.float64)
    a, b = torch.meshgrid(t, t, indexing="xy")  # a varies along columns, b along rows
    ones = torch.ones_like(a)
    sides = []
    for axis in range(3):  # (column axis, row axis) chosen so that column x row = +normal
        col_axis, row_axis = (axis + 1) % 3, (axis + 2) % 3
        for sign in (1.0, -1.0):
            p = torch.zeros(n + 1, n + 1, 3, dtype=torch.float64)
            p[..., axis] = sign * ones
            p[..., col_axis] = sign * a
            p[..., row_axis] = b
            sides.append(p.reshape(-1, 3))
    corners = torch.cat(sides, dim=0)
    vertices, inverse = torch.unique(torch.round(corners * n).to(torch.int64), dim=0, return_inverse=True)
    vertices = vertices.to(torch.float64) / n * (_as64(extents) / 2)
    local = _grid_faces(n + 1, n + 1, wrap_cols=False)
    per_side = (n + 1) ** 2
    faces = torch.cat([inverse[local + k * per_side] for k in range(6)], dim=0)
    uv_grid = torch.stack([(a + 1) / 2, (b + 1) / 2], dim=-1).reshape(-1, 2)
    face_uvs_idx = local.repeat(6, 1)
    return vertices, faces, uv_grid, face_uvs_idx


_FAMILY_BUILDERS: Dict[str, tuple] = {
    "sphere": (_draw_sphere, _build_sphere),
    "cube": (_draw_cube, _build_cube),
    "torus": (_draw_torus, _build_torus),
    "cylinder": (_draw_cylinder, _build_cylinder),
    "cone": (_draw_cone, _build_cone),
    "capsule": (_draw_capsule, _build_capsule),
    "superquadric": (_draw_superquadric, _build_superquadric),
    "blob": (_draw_blob, _build_blob),
}


# --------------------------------------------------------------------------- pose and appearance


def _random_rotation(g: torch.Generator) -> torch.Tensor:
    """(3, 3) rotation uniform over SO(3), from a normalised random quaternion."""
    q = torch.randn(4, generator=g, dtype=torch.float64)
    w, x, y, z = (q / q.norm()).tolist()
    return _as64([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


def _draw_appearance(g: torch.Generator) -> dict:
    return {
        "rotation": _random_rotation(g).tolist(),
        "scale": float(_uniform(g, 0.6, 1.0)),
        "colors": torch.rand(2, 3, generator=g, dtype=torch.float64).tolist(),
        "pattern": ("checker", "stripes")[int(torch.randint(2, (), generator=g))],
        "tiles": int(torch.randint(2, 9, (), generator=g)),
    }


def procedural_texture(colors, pattern: str, tiles: int, size: int = TEXTURE_SIZE) -> torch.Tensor:
    """(3, size, size) float32 texture alternating two RGB ``colors`` (2, 3) in ``tiles`` bands.

    ``pattern`` is ``'checker'`` (tiles x tiles squares) or ``'stripes'`` (tiles horizontal bands).
    """
    if pattern not in ("checker", "stripes"):
        raise ConfigError(f"pattern must be 'checker' or 'stripes', got {pattern!r}")
    band = torch.arange(size) * int(tiles) // size
    rows, cols = band.view(-1, 1), band.view(1, -1)
    parity = (rows + cols) % 2 if pattern == "checker" else (rows % 2).expand(size, size)
    palette = torch.as_tensor(colors, dtype=torch.float32)
    return palette[parity].permute(2, 0, 1).contiguous()


def _gradient_colors(vertices: torch.Tensor, colors) -> torch.Tensor:
    """(V, 3) colours blending ``colors[0]`` (bottom) to ``colors[1]`` (top) along z."""
    z = vertices[:, 2]
    t = ((z - z.min()) / (z.max() - z.min()).clamp(min=1e-12)).unsqueeze(-1)
    palette = torch.as_tensor(colors, dtype=vertices.dtype)
    return (1 - t) * palette[0] + t * palette[1]


def make_shape(family: str, generator: Optional[torch.Generator] = None, **params) -> Mesh:
    """One random closed, textured mesh of ``family`` (one of :data:`FAMILIES`).

    Random parameters come from ``generator`` (a ``torch.Generator``; the global RNG when
    ``None``); any of them can be fixed through ``params``: family parameters (e.g.
    ``radius``, ``height``, ``radii``, ``exponents``, ``major_radius``) and the shared
    ``rotation`` (3, 3), ``scale``, ``colors`` (2, 3), ``pattern`` and ``tiles``.
    All random draws happen whatever is fixed, so fixing one never changes the others.

    Returns:
        Mesh with vertices (V, 3), faces (F, 3), uvs (T, 2) in [0, 1], face_uvs_idx (F, 3),
        vertex_colors (V, 3) and texture (3, 64, 64), all float32 / int64 on the CPU.
    """
    if family not in _FAMILY_BUILDERS:
        raise ConfigError(f"unknown shape family {family!r}; expected one of {', '.join(FAMILIES)}")
    draw, build = _FAMILY_BUILDERS[family]
    if generator is None:
        generator = torch.default_generator
    shape_params, look = draw(generator), _draw_appearance(generator)
    unknown = sorted(set(params) - set(shape_params) - set(look))
    if unknown:
        raise ConfigError(f"make_shape({family!r}): unknown parameter(s) {unknown}; "
                          f"expected some of {sorted(shape_params) + sorted(look)}")
    shape_params.update({k: v for k, v in params.items() if k in shape_params})
    look.update({k: v for k, v in params.items() if k in look})

    vertices, faces, uvs, face_uvs_idx = build(**shape_params)
    centre = (vertices.max(0).values + vertices.min(0).values) / 2
    vertices = vertices - centre
    vertices = vertices / vertices.norm(dim=-1).max() * float(look["scale"])
    vertices = vertices @ _as64(look["rotation"]).T
    return Mesh(
        vertices=vertices.float(),
        faces=faces.long(),
        uvs=uvs.float(),
        face_uvs_idx=face_uvs_idx.long(),
        vertex_colors=_gradient_colors(vertices, look["colors"]).float(),
        texture=procedural_texture(look["colors"], look["pattern"], look["tiles"]),
    )


def item_generator(seed: int, index: int) -> torch.Generator:
    """A ``torch.Generator`` seeded from ``(seed, index)`` alone, well mixed across neighbours."""
    digest = hashlib.sha256(f"{int(seed)}:{int(index)}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") & (2**63 - 1))


class SyntheticShapes(Dataset):
    """Map-style dataset of ``num_items`` procedural shapes.

    Item ``i`` is family ``families[i % len(families)]`` drawn with
    :func:`item_generator` ``(seed, i)``, so it depends only on ``(seed, i)``.
    Items are dicts with ``vertices (V, 3)``, ``faces (F, 3)``, ``uvs (T, 2)``,
    ``face_uvs_idx (F, 3)``, ``vertex_colors (V, 3)``, ``texture (3, 64, 64)``,
    ``category`` (the family name) and ``path`` (``synthetic://<family>/<seed>/<i>``),
    passed through ``transform`` when one is given.

    Args:
        num_items: number of items (>= 0).
        families: families to cycle through; all of :data:`FAMILIES` when ``None``.
        seed: integer seed.
        transform: callable on an item dict (e.g. a :mod:`~kaolin_pipeline.datasets.transforms` object).
        shape_params: fixed parameters forwarded to :func:`make_shape` for every item.
    """

    def __init__(self, num_items: int, families: Optional[Sequence[str]] = None, seed: int = 0,
                 transform: Optional[Callable[[dict], dict]] = None, **shape_params) -> None:
        if not isinstance(num_items, (int, np.integer)) or num_items < 0:
            raise ConfigError(f"num_items must be a non-negative integer, got {num_items!r}")
        families = tuple(FAMILIES if families is None else families)
        unknown = [f for f in families if f not in _FAMILY_BUILDERS]
        if unknown or not families:
            raise ConfigError(f"families: unknown or empty {unknown or list(families)}; expected some of {', '.join(FAMILIES)}")
        self.num_items, self.families, self.seed = int(num_items), families, int(seed)
        self.transform, self.shape_params = transform, shape_params

    def __len__(self) -> int:
        return self.num_items

    def family(self, index: int) -> str:
        """Family (= category) of item ``index``."""
        return self.families[index % len(self.families)]

    def source_key(self, index: int) -> str:
        """String identifying item ``index`` before its transform (used by the on-disk cache)."""
        index = index % max(self.num_items, 1)
        params = sorted((k, repr(v)) for k, v in self.shape_params.items())
        return f"synthetic:{self.family(index)}:{self.seed}:{index}:{params}"

    def __getitem__(self, index: int) -> dict:
        if not -self.num_items <= index < self.num_items:
            raise IndexError(f"SyntheticShapes index {index} out of range for {self.num_items} items")
        index = index % self.num_items
        family = self.family(index)
        mesh = make_shape(family, item_generator(self.seed, index), **self.shape_params)
        item = mesh_to_item(mesh, category=family, path=f"synthetic://{family}/{self.seed}/{index}")
        return self.transform(item) if self.transform is not None else item
