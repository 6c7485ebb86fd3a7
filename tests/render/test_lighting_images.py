"""The images of Kaolin's lighting tutorials (``diffuse_lighting``, ``sg_specular_lighting``), computed in float32
by our functions as the notebooks call them, against a float64 NumPy reference written from the closed forms.

The scene is an analytic image of a unit sphere seen along -z (no rasteriser involved): per-pixel normals
``(x, y, sqrt(1 - x² - y²))`` up to grazing angles (n.v >= 0.02), view direction ``+z``, a smooth albedo, on 48x48 pixels. The lights are the
notebooks' own values (suns along the axes; two-lobe SG scenes with sharpness up to 40 and roughness 0.1).
"""
import math

import numpy as np
import pytest
import torch

from kaolin_pipeline.ops.coords import spherical2cartesian
from kaolin_pipeline.render import lighting as sh
from kaolin_pipeline.render import sg_lighting as sg

SIZE = 48


@pytest.fixture(scope="module")
def sphere_image():
    """Masked pixels of the sphere: normals (P, 3), albedo (P, 3), view (P, 3), float64 NumPy."""
    centres = (2 * np.arange(SIZE) + 1 - SIZE) / SIZE
    x, y = np.meshgrid(centres, -centres, indexing="xy")
    inside = x * x + y * y < 0.9995
    normals = np.stack([x[inside], y[inside], np.sqrt(1 - x[inside] ** 2 - y[inside] ** 2)], -1)
    albedo = np.stack([0.5 + 0.4 * normals[:, 0], 0.6 - 0.3 * normals[:, 1], np.full(len(normals), 0.8)], -1)
    view = np.tile([0.0, 0.0, 1.0], (len(normals), 1))
    return normals, albedo, view


def _f32(array):
    return torch.from_numpy(np.ascontiguousarray(array)).float()


def _directions(azimuth, elevation):
    """The notebooks' light directions: ``spherical2cartesian`` of azimuth/elevation, float64 NumPy."""
    return torch.stack(spherical2cartesian(torch.as_tensor(azimuth, dtype=torch.float64),
                                           torch.as_tensor(elevation, dtype=torch.float64)), -1).numpy()


def _close(image, reference, rel):
    """Max abs difference within ``rel`` of the reference's peak (images of float32 work vs float64)."""
    error = np.abs(image.double().numpy() - reference).max()
    assert error <= rel * np.abs(reference).max(), (error, np.abs(reference).max())


# ---------------------------------------------------------------- float64 reference formulas

def _sh9_irradiance(cosine):
    """Irradiance at normal n of a unit light from d projected on SH bands 0-2, by the addition theorem:
    sum_l A_l (2l+1)/(4 pi) P_l(n.d), A = (pi, 2pi/3, pi/4)."""
    return 0.25 + 0.5 * cosine + 5 / 32 * (3 * cosine ** 2 - 1)


def _sg_product_integral(a1, mu1, l1, a2, mu2, l2):
    """Integral over the sphere of two SGs: 4 pi a1 a2 exp(-l1 - l2) sinh(d) / d, d = |l1 mu1 + l2 mu2|.
    Arrays broadcast: a (..., 3), mu (..., 3), l (...)."""
    d = np.linalg.norm(l1[..., None] * mu1 + l2[..., None] * mu2, axis=-1)
    # sinh(d) exp(-l1-l2) = (exp(d-l1-l2) - exp(-d-l1-l2)) / 2, finite for the sharp lobes
    return (4 * np.pi * a1 * a2 * ((np.exp(d - l1 - l2) - np.exp(-d - l1 - l2)) / (2 * d))[..., None])


def _sg_diffuse_inner_product(amplitude, direction, sharpness, normals, albedo):
    cos_lobe = (np.full_like(normals, 1.17), normals, np.full(len(normals), 2.133))
    total = sum(_sg_product_integral(*cos_lobe, amplitude[j], direction[j], np.full(len(normals), sharpness[j]))
                for j in range(len(sharpness)))
    return np.maximum(total, 0) * albedo / np.pi


def _hill_irradiance(cosine, amplitude, sharpness):
    """Stephen Hill's fitted SG irradiance (2016) for one lobe at n.mu = cosine: (P, 3)."""
    e1 = np.exp(-sharpness)
    e2 = e1 * e1
    scale = 1 + 2 * e2 - 1 / sharpness
    bias = (e1 - e2) / sharpness - e2
    x = np.sqrt(1 - scale)
    x0, x1 = 0.36 * cosine, x / (4 * 0.36)
    y = np.where(np.abs(x0) <= x1, (x0 + x1) ** 2 / x, np.clip(cosine, 0, 1))
    return (scale * y + bias)[:, None] * (2 * np.pi * amplitude / sharpness)


def _sg_diffuse_fitted(amplitude, direction, sharpness, normals, albedo):
    irradiance = np.mean([_hill_irradiance(normals @ direction[j], amplitude[j], sharpness[j])
                          for j in range(len(sharpness))], axis=0)
    return np.maximum(irradiance, 0) * albedo / np.pi


def _sg_warp_specular(amplitude, direction, sharpness, normals, roughness, view, spec_albedo):
    """GGX NDF as one SG (1/(pi m²), n, 2/m²), warped to the reflection of the view about n (sharpness
    divided by 4 max(n.v, 1e-4)), integrated against the light, times Smith G (both sides), Schlick F, n.l."""
    m2 = roughness ** 2
    n_dot_v = np.sum(normals * view, -1)
    axis = 2 * n_dot_v[:, None] * normals - view
    lobe = (np.repeat((1 / (np.pi * m2))[:, None], 3, 1), axis, 2 / m2 / (4 * np.maximum(n_dot_v, 1e-4)))
    radiance = sum(_sg_product_integral(*lobe, amplitude[j], direction[j], np.full(len(normals), sharpness[j]))
                   for j in range(len(sharpness)))
    n_dot_l = np.clip(np.sum(normals * axis, -1), 0, 1)
    half = axis + view
    half /= np.linalg.norm(half, axis=-1, keepdims=True)
    l_dot_h = np.clip(np.sum(axis * half, -1), 0, 1)

    def smith(c):
        return 1 / (c + np.sqrt(m2 + (1 - m2) * c * c))

    fresnel = spec_albedo + (1 - spec_albedo) * (1 - l_dot_h[:, None]) ** 5
    return np.maximum(radiance * (smith(n_dot_l) * smith(np.clip(n_dot_v, 0, 1)) * n_dot_l)[:, None] * fresnel, 0)


# ---------------------------------------------------------------- the notebooks' images

def test_sh9_diffuse_image(sphere_image):
    normals, albedo, _ = sphere_image
    # the ground-truth suns of diffuse_lighting, and its starting guess (azimuth = elevation = pi/2)
    for direction in _directions([0.0, math.pi / 2, 0.0, math.pi / 2], [0.0, 0.0, math.pi / 2, math.pi / 2]):
        image = sh.sh9_diffuse(_f32(direction), _f32(normals), _f32(albedo))
        _close(image, albedo * _sh9_irradiance(normals @ direction)[:, None], 1e-6)


@pytest.mark.parametrize("sharpness", [1.0, 6.5, 40.0])
def test_sg_diffuse_images(sphere_image, sharpness):
    normals, albedo, _ = sphere_image
    direction = _directions([0.3, -1.6], [0.2, 1.1])
    amplitude = np.array([[3.7, 3.9, 3.8], [1.0, 2.0, 0.5]])
    sharp = np.array([sharpness, 2.0])
    args64 = (amplitude, direction, sharp, normals, albedo)
    args32 = [_f32(a) for a in args64]
    _close(sg.sg_diffuse_inner_product(*args32), _sg_diffuse_inner_product(*args64), 1e-5)
    _close(sg.sg_diffuse_fitted(*args32), _sg_diffuse_fitted(*args64), 1e-5)
    # one lobe at a time, as diffuse_lighting calls them
    _close(sg.sg_diffuse_fitted(*[a[:1] for a in args32[:3]], *args32[3:]),
           _sg_diffuse_fitted(*[a[:1] for a in args64[:3]], *args64[3:]), 1e-5)


def test_sg_specular_images(sphere_image):
    """sg_specular_lighting's ground-truth scenes: lobes of sharpness up to 40, roughness 0.1, Ks 0.5."""
    normals, albedo, view = sphere_image
    roughness = np.full(len(normals), 0.1)
    spec_albedo = np.full_like(normals, 0.5)
    scenes = [(_directions([0.0, math.pi / 2], [0.0, 0.0]), np.array([[5.0, 2, 2], [5, 10, 5]]), np.array([6.0, 20])),
              (_directions([0.0, 0.0], [-math.pi / 2, math.pi / 2]), np.array([[3.0, 3, 7], [8, 8, 1]]),
               np.array([5.0, 40]))]
    for direction, amplitude, sharpness in scenes:
        diffuse = sg.sg_diffuse_fitted(_f32(amplitude), _f32(direction), _f32(sharpness), _f32(normals), _f32(albedo))
        specular = sg.sg_warp_specular_term(_f32(amplitude), _f32(direction), _f32(sharpness), _f32(normals),
                                            _f32(roughness), _f32(view), _f32(spec_albedo))
        reference_specular = _sg_warp_specular(amplitude, direction, sharpness, normals, roughness, view, spec_albedo)
        _close(specular, reference_specular, 1e-4)
        _close(diffuse + specular,
               _sg_diffuse_fitted(amplitude, direction, sharpness, normals, albedo) + reference_specular, 1e-4)
