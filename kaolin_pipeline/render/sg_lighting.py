r"""Spherical-Gaussian (SG) lighting, following ``kaolin.render.lighting`` (DIB-R++).

An SG lobe is :math:`G(v) = a \, e^{\lambda (\mu \cdot v - 1)}` with amplitude :math:`a` (an RGB triple),
unit axis :math:`\mu` and sharpness :math:`\lambda`. Incoming radiance is a sum of lobes given as
``amplitude (num_sg, 3)``, ``direction (num_sg, 3)``, ``sharpness (num_sg,)``; surface points as
``normal (num_points, 3)`` and friends. Everything is differentiable; dtype and device follow the inputs.
"""
from __future__ import annotations

import math
from typing import Iterable, Optional, Tuple, Union

import torch

from kaolin_pipeline.errors import RenderError
from kaolin_pipeline.ops.coords import spherical2cartesian

__all__ = [
    "SgLightingParameters", "approximate_sg_integral", "cosine_lobe_sg", "fresnel", "sg_diffuse_fitted",
    "sg_diffuse_inner_product", "sg_direction_from_azimuth_elevation", "sg_distribution_term", "sg_from_sun",
    "sg_irradiance_fitted", "sg_irradiance_inner_product", "sg_warp_distribution", "sg_warp_specular_term",
    "unbatched_reduced_sg_inner_product", "unbatched_sg_inner_product",
]

#: The clamped cosine lobe max(0, n . v) fitted by one SG (amplitude, sharpness).
COSINE_LOBE_AMPLITUDE, COSINE_LOBE_SHARPNESS = 1.17, 2.133

Sg = Tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def _check_sg(prefix: str, amplitude: torch.Tensor, direction: torch.Tensor, sharpness: torch.Tensor) -> None:
    shapes = [tuple(getattr(t, "shape", ())) for t in (amplitude, direction, sharpness)]
    if not (len(shapes[0]) == 2 and shapes[0][1] == 3 and shapes[1] == shapes[0] and shapes[2] == shapes[0][:1]):
        raise RenderError(f"{prefix}amplitude, {prefix}direction, {prefix}sharpness must have shapes (N, 3), (N, 3), "
                          f"(N,), got {shapes[0]}, {shapes[1]}, {shapes[2]}")


def _check_points(name: str, tensor: torch.Tensor, shape: tuple) -> None:
    if tuple(getattr(tensor, "shape", ())) != shape:
        raise RenderError(f"{name} must have shape {shape}, got {tuple(getattr(tensor, 'shape', ()))}")


def _dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (a * b).sum(-1, keepdim=True)


# ---------------------------------------------------------------- SG algebra

def unbatched_sg_inner_product(amplitude: torch.Tensor, direction: torch.Tensor, sharpness: torch.Tensor,
                               other_amplitude: torch.Tensor, other_direction: torch.Tensor,
                               other_sharpness: torch.Tensor) -> torch.Tensor:
    r""":math:`\int_{S^2} G_i(v) G'_j(v) dv` for every pair: ``(num_sg, num_other, 3)``.

    With :math:`d = |\lambda_i \mu_i + \lambda'_j \mu'_j|` the integral is
    :math:`4 \pi a_i a'_j e^{-\lambda_i - \lambda'_j} \sinh(d) / d`, evaluated as
    :math:`2 \pi a a' e^{d - \lambda - \lambda'} (1 - e^{-2d}) / d` so that it does not overflow.
    """
    _check_sg("", amplitude, direction, sharpness)
    _check_sg("other_", other_amplitude, other_direction, other_sharpness)
    summed = sharpness[:, None, None] * direction[:, None] + other_sharpness[None, :, None] * other_direction[None]
    length = torch.linalg.vector_norm(summed, dim=-1, keepdim=True)
    total = (sharpness[:, None] + other_sharpness[None, :]).unsqueeze(-1)
    return (2 * math.pi * torch.exp(length - total) * (amplitude[:, None] * other_amplitude[None])
            * (-torch.expm1(-2 * length)) / length)


def unbatched_reduced_sg_inner_product(amplitude: torch.Tensor, direction: torch.Tensor, sharpness: torch.Tensor,
                                       other_amplitude: torch.Tensor, other_direction: torch.Tensor,
                                       other_sharpness: torch.Tensor) -> torch.Tensor:
    """``unbatched_sg_inner_product(...).sum(1)``: ``(num_sg, 3)``, computed in chunks of the first set."""
    _check_sg("", amplitude, direction, sharpness)
    _check_sg("other_", other_amplitude, other_direction, other_sharpness)
    chunk = max(1, (1 << 22) // max(1, 3 * other_amplitude.shape[0]))  # ~4M products per chunk
    parts = [unbatched_sg_inner_product(amplitude[i:i + chunk], direction[i:i + chunk], sharpness[i:i + chunk],
                                        other_amplitude, other_direction, other_sharpness).sum(1)
             for i in range(0, amplitude.shape[0], chunk)]
    return torch.cat(parts) if parts else amplitude.new_zeros(0, 3)


def cosine_lobe_sg(direction: torch.Tensor) -> Sg:
    """The SG fit of the clamped cosine lobe around each ``direction`` (N, 3): amplitude (N, 3), direction,
    sharpness (N,)."""
    return (torch.full_like(direction, COSINE_LOBE_AMPLITUDE), direction,
            torch.full_like(direction[..., 0], COSINE_LOBE_SHARPNESS))


def approximate_sg_integral(amplitude: torch.Tensor, sharpness: torch.Tensor) -> torch.Tensor:
    r""":math:`2 \pi a / \lambda`, the integral of an SG over the sphere for large :math:`\lambda` (exactly
    :math:`2 \pi a (1 - e^{-2 \lambda}) / \lambda`): amplitude (N, 3), sharpness (N,) -> (N, 3)."""
    return 2 * math.pi * amplitude / sharpness.unsqueeze(-1)


# ---------------------------------------------------------------- diffuse

def sg_irradiance_fitted(amplitude: torch.Tensor, direction: torch.Tensor, sharpness: torch.Tensor,
                         normal: torch.Tensor) -> torch.Tensor:
    r"""Irradiance from each SG at each point with Stephen Hill's fitted curve: ``(num_points, num_sg, 3)``.

    The normalised SG's irradiance as a function of :math:`\cos\theta = n \cdot \mu` is approximated by a
    smooth polynomial near the horizon and :math:`\cos\theta` (clamped) away from it, scaled and biased
    by functions of :math:`\lambda`, times :func:`approximate_sg_integral`.
    """
    _check_sg("", amplitude, direction, sharpness)
    if normal.dim() != 2 or normal.shape[-1] != 3:
        raise RenderError(f"normal must have shape (num_points, 3), got {tuple(normal.shape)}")
    cosine = normal @ direction.transpose(0, 1)  # (P, S)
    lam = sharpness.unsqueeze(0)
    c0 = 0.36
    c1 = 1 / (4 * c0)
    e1 = torch.exp(-lam)
    e2 = e1 * e1
    scale = 1 + 2 * e2 - 1 / lam
    bias = (e1 - e2) / lam - e2
    width = torch.sqrt(1 - scale)
    near = c0 * cosine
    far = c1 * width
    smooth = (near + far) ** 2 / width
    curve = torch.where(near.abs() <= far, smooth, cosine.clamp(0, 1))
    return (scale * curve + bias).unsqueeze(-1) * approximate_sg_integral(amplitude, sharpness).unsqueeze(0)


def sg_diffuse_fitted(amplitude: torch.Tensor, direction: torch.Tensor, sharpness: torch.Tensor,
                      normal: torch.Tensor, albedo: torch.Tensor) -> torch.Tensor:
    """Lambertian radiance ``albedo / pi * max(0, mean over lobes of sg_irradiance_fitted)``: (num_points, 3).

    The lobes are averaged, not summed, as in Kaolin.
    """
    _check_points("albedo", albedo, tuple(normal.shape))
    irradiance = sg_irradiance_fitted(amplitude, direction, sharpness, normal).mean(1).clamp(min=0)
    return irradiance * albedo / math.pi


def sg_irradiance_inner_product(amplitude: torch.Tensor, direction: torch.Tensor, sharpness: torch.Tensor,
                                normal: torch.Tensor) -> torch.Tensor:
    """Irradiance as the SG inner product of the radiance with the cosine lobe SG around each normal,
    summed over the lobes and clamped at 0: (num_points, 3)."""
    _check_sg("", amplitude, direction, sharpness)
    return unbatched_reduced_sg_inner_product(*cosine_lobe_sg(normal), amplitude, direction, sharpness).clamp(min=0)


def sg_diffuse_inner_product(amplitude: torch.Tensor, direction: torch.Tensor, sharpness: torch.Tensor,
                             normal: torch.Tensor, albedo: torch.Tensor) -> torch.Tensor:
    """Lambertian radiance ``albedo / pi * sg_irradiance_inner_product`` (DIB-R++'s diffuse term): (num_points, 3)."""
    _check_points("albedo", albedo, tuple(normal.shape))
    return sg_irradiance_inner_product(amplitude, direction, sharpness, normal) * albedo / math.pi


# ---------------------------------------------------------------- specular

def sg_distribution_term(direction: torch.Tensor, roughness: torch.Tensor) -> Sg:
    r"""One SG fitting the GGX normal distribution around each normal ``direction`` (N, 3) for ``roughness``
    (N,) (:math:`m^2` = roughness²): amplitude :math:`1 / (\pi m^2)` (N, 3), the directions, sharpness
    :math:`2 / m^2` (N,)."""
    _check_points("roughness", roughness, tuple(direction.shape[:1]))
    m2 = roughness * roughness
    return (1 / (math.pi * m2)).unsqueeze(-1).expand(-1, 3), direction, 2 / m2


def sg_warp_distribution(amplitude: torch.Tensor, direction: torch.Tensor, sharpness: torch.Tensor,
                         view: torch.Tensor) -> Sg:
    r"""Wang et al.'s warp of an NDF lobe into the reflection lobe for the view direction ``view`` (N, 3):
    the axis becomes ``view`` mirrored about the lobe's axis, the sharpness is divided by
    :math:`4 \max(\mu \cdot v, 10^{-4})`."""
    _check_sg("", amplitude, direction, sharpness)
    _check_points("view", view, tuple(amplitude.shape))
    mirrored = 2 * _dot(view, direction) * direction - view
    return amplitude, mirrored, sharpness / (4 * _dot(direction, view).squeeze(-1).clamp(min=1e-4))


def fresnel(ldh: torch.Tensor, spec_albedo: torch.Tensor) -> torch.Tensor:
    """Schlick's Fresnel term ``F0 + (1 - F0) (1 - l.h)^5``, broadcast."""
    return spec_albedo + (1 - spec_albedo) * (1 - ldh) ** 5


def _smith_ggx(m2: torch.Tensor, cosine: torch.Tensor) -> torch.Tensor:
    return 1 / (cosine + torch.sqrt(m2 + (1 - m2) * cosine * cosine))


def sg_warp_specular_term(amplitude: torch.Tensor, direction: torch.Tensor, sharpness: torch.Tensor,
                          normal: torch.Tensor, roughness: torch.Tensor, view: torch.Tensor,
                          spec_albedo: torch.Tensor) -> torch.Tensor:
    r"""Cook-Torrance (GGX) specular radiance from SG lighting, with the warped-NDF approximation.

    Args:
        amplitude, direction, sharpness: the lighting lobes, (num_sg, 3), (num_sg, 3), (num_sg,).
        normal: unit normals, (num_points, 3).
        roughness: (num_points,).
        view: unit directions from the points towards the camera, (num_points, 3).
        spec_albedo: specular colour F0, (num_points, 3).

    Returns:
        (num_points, 3), clamped at 0.
    """
    _check_sg("", amplitude, direction, sharpness)
    _check_points("roughness", roughness, tuple(normal.shape[:1]))
    _check_points("view", view, tuple(normal.shape))
    _check_points("spec_albedo", spec_albedo, tuple(normal.shape))
    lobe = sg_warp_distribution(*sg_distribution_term(normal, roughness), view)
    light_dir = lobe[1]
    n_dot_l = _dot(normal, light_dir).clamp(0, 1)
    n_dot_v = _dot(normal, view).clamp(0, 1)
    half = torch.nn.functional.normalize(light_dir + view, dim=-1, eps=0.0)
    l_dot_h = _dot(light_dir, half).clamp(0, 1)
    m2 = (roughness * roughness).unsqueeze(-1)
    radiance = unbatched_reduced_sg_inner_product(*lobe, amplitude, direction, sharpness)
    radiance = radiance * _smith_ggx(m2, n_dot_l) * _smith_ggx(m2, n_dot_v) * fresnel(l_dot_h, spec_albedo) * n_dot_l
    return radiance.clamp(min=0)


# ---------------------------------------------------------------- light sources

def sg_from_sun(direction: torch.Tensor, strength: torch.Tensor, angle: torch.Tensor, color: torch.Tensor) -> Sg:
    r"""SG lobes for suns: amplitude ``color * strength`` (N, 3), the directions (N, 3), and the sharpness
    (N,) at which the lobe falls to 1/2 at the sun's angular radius ``angle / 2``:
    :math:`\lambda = \ln(0.5 / s) / (\cos(\text{angle}/2) - 1)`."""
    _check_points("strength", strength, tuple(direction.shape[:1]))
    _check_points("angle", angle, tuple(direction.shape[:1]))
    _check_points("color", color, tuple(direction.shape))
    return color * strength.unsqueeze(-1), direction, torch.log(0.5 / strength) / (torch.cos(angle / 2) - 1)


def sg_direction_from_azimuth_elevation(azimuth: Union[float, torch.Tensor],
                                        elevation: Union[float, torch.Tensor]) -> torch.Tensor:
    """Unit direction for angles in radians in a y-up frame: :func:`~kaolin_pipeline.ops.coords.spherical2cartesian`'s
    ``(x, y, z)`` reordered to ``(y, z, x)``. Floats give shape (1, 3); tensors ``(*shape, 3)``."""
    azimuth = azimuth if torch.is_tensor(azimuth) else torch.full((1,), float(azimuth))
    elevation = elevation if torch.is_tensor(elevation) else torch.full((1,), float(elevation))
    x, y, z = spherical2cartesian(azimuth, elevation)
    return torch.stack([y, z, x], dim=-1)


def _as_tensor(value: Union[float, Iterable, torch.Tensor], shape: tuple,
               device: Optional[torch.device] = None) -> torch.Tensor:
    if torch.is_tensor(value):
        return value.reshape(shape)
    if isinstance(value, Iterable):
        return torch.tensor(list(value), dtype=torch.float32, device=device)
    return torch.full(shape, float(value), dtype=torch.float32, device=device)


class SgLightingParameters:
    """SG lighting: ``amplitude (num_sg, 3)``, unit ``direction (num_sg, 3)``, ``sharpness (num_sg,)``.

    Numbers are broadcast to every lobe; the number of lobes comes from the first tensor argument among
    amplitude, direction, sharpness (one lobe otherwise). Directions are normalised.
    """

    __slots__ = ["amplitude", "sharpness", "direction"]

    def __init__(self, amplitude=3.0, direction=(1.0, 0.0, 0.0), sharpness=5.0):
        num_sg = 1
        if torch.is_tensor(amplitude):
            amplitude = amplitude.reshape(-1, 3)
            num_sg = amplitude.shape[0]
        elif torch.is_tensor(direction):
            direction = direction.reshape(-1, 3)
            num_sg = direction.shape[0]
        elif torch.is_tensor(sharpness):
            sharpness = sharpness.reshape(-1)
            num_sg = sharpness.shape[0]
        self.amplitude = _as_tensor(amplitude, (num_sg, 3))
        self.sharpness = _as_tensor(sharpness, (num_sg,))
        direction = direction if torch.is_tensor(direction) else torch.tensor(direction, dtype=torch.float32)
        self.direction = torch.nn.functional.normalize(direction.reshape(-1, 3), dim=1)

    @staticmethod
    def from_sun(direction: torch.Tensor, strength=3.0, angle=math.pi * 0.25, color=None) -> "SgLightingParameters":
        """Lobes for suns (see :func:`sg_from_sun`): direction (N, 3); strength, angle (N,) or numbers;
        color (N, 3), a triple or None (white)."""
        direction = direction.reshape(-1, 3)
        count = direction.shape[0]
        strength = _as_tensor(strength, (count,), direction.device)
        angle = _as_tensor(angle, (count,), direction.device)
        color = _as_tensor(1.0 if color is None else color, (count, 3), direction.device)
        return SgLightingParameters(*sg_from_sun(direction, strength, angle, color))

    def to(self, device) -> "SgLightingParameters":
        """The same lobes on ``device``."""
        return SgLightingParameters(amplitude=self.amplitude.to(device), direction=self.direction.to(device),
                                    sharpness=self.sharpness.to(device))

    def cpu(self) -> "SgLightingParameters":
        return self.to("cpu")

    def cuda(self) -> "SgLightingParameters":
        return self.to("cuda")
