"""Shading from per-pixel normals: 9-coefficient spherical harmonics and a directional light.

Two SH conventions live here. :func:`spherical_harmonic_lighting` is DIB-R's (Kaolin's legacy
``kaolin.render.mesh.spherical_harmonic_lighting``: its own constants and signs, used by the renderer).
:func:`project_onto_sh9`, :func:`sh9_irradiance` and :func:`sh9_diffuse` are ``kaolin.render.lighting``'s:
the standard real spherical harmonics of bands 0-2 with the Condon-Shortley phase, ordered by
``(l, m)`` from ``m = -l`` to ``l``.

Normals and light directions are expressed in the same frame; the renderer uses
camera space (the camera looks down −z, so ``(0, 0, 1)`` points back at the camera).
"""
from __future__ import annotations

import dataclasses
import math
from typing import List, Sequence, Union

import torch

from ..errors import RenderError

# Constants and ordering of ``kaolin.render.mesh.spherical_harmonic_lighting`` (after W. Jarosz,
# "Efficient Monte Carlo Methods for Light Transport in Scattering Media", appendix B).
SH_BAND0 = 0.28209479177
SH_BAND1 = 0.4886025119
SH_XY_YZ = 1.09254843059
SH_ZZ = 0.94617469575
SH_ZZ_OFFSET = 0.31539156525
SH_XZ = 0.77254840404
SH_XX_YY = 0.38627420202


def _check_normals(name: str, normals: torch.Tensor) -> None:
    if not isinstance(normals, torch.Tensor) or normals.dim() < 2 or normals.shape[-1] != 3 \
            or not normals.is_floating_point():
        shape = tuple(getattr(normals, "shape", ()))
        raise RenderError(f"{name}: normals must be a floating tensor of shape (B, ..., 3), got shape {shape}")


def spherical_harmonic_basis(normals: torch.Tensor) -> torch.Tensor:
    r"""Evaluate Kaolin's 9 spherical-harmonic basis functions at unit directions.

    The order is ``[1, x, z, y, xy, yz, 3z²−1, xz, x²−y²]`` scaled by Kaolin's constants
    (``SH_*`` in this module).

    Args:
        normals: unit directions of shape :math:`(..., 3)`.

    Returns:
        The basis values, of shape :math:`(..., 9)`.
    """
    x, y, z = normals.unbind(-1)
    return torch.stack([
        torch.full_like(x, SH_BAND0),
        SH_BAND1 * x, SH_BAND1 * z, SH_BAND1 * y,
        SH_XY_YZ * x * y, SH_XY_YZ * y * z,
        SH_ZZ * z * z - SH_ZZ_OFFSET,
        SH_XZ * x * z,
        SH_XX_YY * (x * x - y * y),
    ], dim=-1)


def spherical_harmonic_lighting(imnormal: torch.Tensor, lights: torch.Tensor) -> torch.Tensor:
    r"""Shade per-pixel normals with 9 spherical-harmonic coefficients per batch item (DIB-R's lighting).

    Args:
        imnormal: unit normals, of shape :math:`(B, H, W, 3)` (any :math:`(B, ..., 3)` works).
        lights: coefficients, of shape :math:`(B, 9)` or :math:`(9,)` (shared by the batch),
            in the order of :func:`spherical_harmonic_basis`.

    Returns:
        The lighting intensity, of shape :math:`(B, H, W)`; not clamped.
    """
    _check_normals("spherical_harmonic_lighting", imnormal)
    if not isinstance(lights, torch.Tensor) or lights.shape[-1:] != (9,) or lights.dim() > 2 \
            or (lights.dim() == 2 and lights.shape[0] not in (1, imnormal.shape[0])):
        shape = tuple(getattr(lights, "shape", ()))
        raise RenderError(f"spherical_harmonic_lighting: lights must have shape (B, 9) with B = {imnormal.shape[0]} "
                          f"or (9,), got shape {shape}")
    coefficients = lights.reshape(-1, *([1] * (imnormal.dim() - 2)), 9)
    return (spherical_harmonic_basis(imnormal) * coefficients).sum(-1)


# The real SH constants sqrt(15/4pi) and sqrt(15/16pi) at Kaolin's precision (the others are the SH_* above).
SH9_XY = 1.0925484305920792
SH9_XX_YY = 0.5462742152960396
#: Per-band factors of the clamped-cosine convolution (Ramamoorthi & Hanrahan 2001): pi, 2pi/3, pi/4.
_COSINE_BANDS = (math.pi,) + (2 * math.pi / 3,) * 3 + (math.pi / 4,) * 5


def project_onto_sh9(directions: Union[torch.Tensor, List[float]]) -> torch.Tensor:
    r"""The 9 real SH basis values of bands 0-2 (Condon-Shortley phase) at directions.

    Order: :math:`Y_{0,0}, Y_{1,-1}, Y_{1,0}, Y_{1,1}, Y_{2,-2}, Y_{2,-1}, Y_{2,0}, Y_{2,1}, Y_{2,2}`, i.e.
    ``c0, -c1 y, c1 z, -c1 x, c2 xy, -c2 yz, c3 (3z² - 1), -c2 xz, c2 (x² - y²) / 2`` with
    :math:`c_0 = \\sqrt{1/4\\pi}, c_1 = \\sqrt{3/4\\pi}, c_2 = \\sqrt{15/4\\pi}, c_3 = \\sqrt{5/16\\pi}`. Used as light
    coefficients, ``project_onto_sh9(d)`` is the band-limited projection of a unit light from ``d``.

    Args:
        directions: unit vectors, a tensor of shape :math:`(..., 3)` or a list ``[x, y, z]``.

    Returns:
        Shape :math:`(..., 9)` (a list gives :math:`(9,)`).
    """
    if isinstance(directions, (list, tuple)):
        if len(directions) != 3:
            raise RenderError(f"project_onto_sh9: directions must have 3 components, got {len(directions)}")
        directions = torch.tensor([float(v) for v in directions])
    if not isinstance(directions, torch.Tensor) or directions.dim() == 0 or directions.shape[-1] != 3:
        raise RenderError(f"project_onto_sh9: directions must have shape (..., 3), got "
                          f"{tuple(getattr(directions, 'shape', ()))}")
    x, y, z = directions.unbind(-1)
    return torch.stack([
        torch.full_like(x, SH_BAND0),
        -SH_BAND1 * y, SH_BAND1 * z, -SH_BAND1 * x,
        SH9_XY * (x * y), -SH9_XY * (y * z), SH_ZZ * (z * z) - SH_ZZ_OFFSET, -SH9_XY * x * z,
        SH9_XX_YY * (x * x - y * y),
    ], dim=-1)


def sh9_irradiance(lights: torch.Tensor, normals: torch.Tensor) -> torch.Tensor:
    r"""Irradiance :math:`E(n) = \int L(\omega) \max(0, n \cdot \omega) d\omega` of the radiance
    :math:`L = \sum_i \text{lights}_i Y_i` (exact for that band-limited :math:`L`).

    Args:
        lights: SH coefficients of the incoming radiance, of shape :math:`(9,)` (see :func:`project_onto_sh9`).
        normals: unit normals, of shape :math:`(\text{num_points}, 3)`.

    Returns:
        Shape :math:`(\text{num_points},)`.
    """
    if not isinstance(lights, torch.Tensor) or tuple(lights.shape) != (9,):
        raise RenderError(f"sh9_irradiance: lights must have shape (9,), got {tuple(getattr(lights, 'shape', ()))}")
    _check_normals("sh9_irradiance", normals)
    bands = torch.tensor(_COSINE_BANDS, dtype=normals.dtype, device=normals.device)
    return (project_onto_sh9(normals) * bands * lights).sum(-1)


def sh9_diffuse(directions: torch.Tensor, normals: torch.Tensor, albedo: torch.Tensor) -> torch.Tensor:
    r"""Lambertian radiance ``albedo * sh9_irradiance(project_onto_sh9(directions), normals)`` (no 1/pi, as Kaolin).

    Args:
        directions: the light's direction (towards the light), of shape :math:`(3,)`.
        normals: unit normals, of shape :math:`(\text{num_points}, 3)`.
        albedo: colours, of shape :math:`(\text{num_points}, 3)`.

    Returns:
        Shape :math:`(\text{num_points}, 3)`.
    """
    if not isinstance(directions, torch.Tensor) or tuple(directions.shape) != (3,):
        raise RenderError(f"sh9_diffuse: directions must have shape (3,), got "
                          f"{tuple(getattr(directions, 'shape', ()))}")
    if not isinstance(albedo, torch.Tensor) or albedo.shape != getattr(normals, "shape", None):
        raise RenderError(f"sh9_diffuse: albedo must have the shape of normals, got "
                          f"{tuple(getattr(albedo, 'shape', ()))}")
    return albedo * sh9_irradiance(project_onto_sh9(directions), normals).unsqueeze(-1)


@dataclasses.dataclass
class DirectionalLight:
    """A distant light for :func:`lambertian_lighting`.

    Attributes:
        direction: (3,) or (B, 3) direction from the surface *towards* the light (normalised internally),
            in the frame of the normals (camera space in the renderer: ``(0, 0, 1)`` is a headlight).
        ambient: intensity added everywhere.
        diffuse: intensity of the Lambertian term ``max(0, n · l)``.
    """

    direction: Union[torch.Tensor, Sequence[float]] = (0.0, 0.0, 1.0)
    ambient: float = 0.3
    diffuse: float = 0.7


def lambertian_lighting(normals: torch.Tensor, direction: Union[torch.Tensor, Sequence[float]],
                        ambient: float = 0.3, diffuse: float = 0.7, *, checked_nonzero: bool = False) -> torch.Tensor:
    r"""Lambertian shading by one directional light: ``ambient + diffuse * max(0, n · l̂)``.

    Args:
        normals: unit normals of shape :math:`(B, ..., 3)`, e.g. :math:`(B, H, W, 3)`.
        direction: direction towards the light, of shape :math:`(3,)` or :math:`(B, 3)`; normalised here.
        ambient: constant term.
        diffuse: scale of the cosine term.
        checked_nonzero: the caller has checked on the host that ``direction`` is non-zero; skips the
            check here, which reads the device (one host synchronisation on a GPU).

    Returns:
        The intensity, of shape :math:`(B, ...)`.
    """
    _check_normals("lambertian_lighting", normals)
    direction = torch.as_tensor(direction, dtype=normals.dtype, device=normals.device)
    if direction.shape[-1:] != (3,) or direction.dim() > 2 \
            or (direction.dim() == 2 and direction.shape[0] not in (1, normals.shape[0])):
        raise RenderError(f"lambertian_lighting: direction must have shape (3,) or (B, 3) with B = "
                          f"{normals.shape[0]}, got shape {tuple(direction.shape)}")
    length = direction.norm(dim=-1, keepdim=True)
    if not checked_nonzero and not bool((length > 0).all()):
        raise RenderError("lambertian_lighting: direction must be a non-zero vector")
    unit = (direction / length).reshape(-1, *([1] * (normals.dim() - 2)), 3)
    return ambient + diffuse * (normals * unit).sum(-1).clamp(min=0.0)
