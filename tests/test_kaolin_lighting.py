"""Kaolin's SH9 and spherical-Gaussian lighting (``render.lighting``, ``render.sg_lighting``) against float64
quadrature over the sphere of the radiance they stand for, and scipy's spherical harmonics."""
import math

import numpy as np
import pytest
import torch
from scipy.special import sph_harm_y

from kaolin_pipeline.errors import RenderError
from kaolin_pipeline.render import lighting as sh
from kaolin_pipeline.render import sg_lighting as sg

LM = [(0, 0), (1, -1), (1, 0), (1, 1), (2, -2), (2, -1), (2, 0), (2, 1), (2, 2)]


@pytest.fixture(scope="module")
def sphere():
    """Gauss-Legendre in cos(polar) x uniform azimuth: directions (N, 3) and weights (N,), float64."""
    nodes, weights = np.polynomial.legendre.leggauss(160)
    azimuth = (np.arange(320) + 0.5) * 2 * np.pi / 320
    cos_t, phi = np.meshgrid(nodes, azimuth, indexing="ij")
    sin_t = np.sqrt(1 - cos_t ** 2)
    directions = np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t], -1).reshape(-1, 3)
    w = np.repeat(weights, 320) * 2 * np.pi / 320
    return torch.from_numpy(directions), torch.from_numpy(w), np.arccos(cos_t).reshape(-1), phi.reshape(-1)


def _unit(n, seed):
    return torch.nn.functional.normalize(torch.randn(n, 3, dtype=torch.float64,
                                                     generator=torch.Generator().manual_seed(seed)), dim=-1)


def test_project_onto_sh9_is_scipys_real_basis_with_condon_shortley_phase(sphere):
    directions, _, polar, azimuth = sphere
    expected = []
    for l, m in LM:
        y = sph_harm_y(l, abs(m), polar, azimuth)  # includes the (-1)^m phase
        expected.append(np.sqrt(2) * (y.imag if m < 0 else y.real) if m else y.real)
    expected = torch.from_numpy(np.stack(expected, -1))
    torch.testing.assert_close(sh.project_onto_sh9(directions), expected, atol=1e-10, rtol=0)
    torch.testing.assert_close(sh.project_onto_sh9([0.0, 0.0, 1.0]), expected.new_tensor(
        [sh.SH_BAND0, 0, sh.SH_BAND1, 0, 0, 0, sh.SH_ZZ - sh.SH_ZZ_OFFSET, 0, 0]).float())


def test_sh9_irradiance_is_the_clamped_cosine_integral(sphere):
    directions, weights, _, _ = sphere
    lights = torch.randn(9, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    normals = _unit(16, 1)
    radiance = sh.project_onto_sh9(directions) @ lights  # (N,)
    cosine = (normals @ directions.T).clamp(min=0)  # (16, N)
    expected = (cosine * radiance * weights).sum(-1)
    torch.testing.assert_close(sh.sh9_irradiance(lights, normals), expected, atol=1e-4, rtol=1e-4)
    albedo = torch.rand(16, 3, dtype=torch.float64)
    light = _unit(1, 2)[0]
    torch.testing.assert_close(sh.sh9_diffuse(light, normals, albedo),
                               albedo * sh.sh9_irradiance(sh.project_onto_sh9(light), normals)[:, None])
    with pytest.raises(RenderError, match="lights"):
        sh.sh9_irradiance(lights[:4], normals)


def _lobes(n, seed, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, 3, dtype=dtype, generator=g) + 0.2, _unit(n, seed).to(dtype),
            torch.rand(n, dtype=dtype, generator=g) * 15 + 1)


def _evaluate(lobes, directions):
    """sum_j a_j exp(l_j (mu_j . v - 1)) at directions (N, 3): (N, 3)."""
    amplitude, axis, sharpness = lobes
    return (torch.exp(sharpness * (directions @ axis.T - 1))[..., None] * amplitude).sum(1)


def test_sg_inner_product_is_the_integral_of_the_product(sphere):
    directions, weights, _, _ = sphere
    first, second = _lobes(3, 0), _lobes(4, 1)
    pairwise = sg.unbatched_sg_inner_product(*first, *second)
    for i in range(3):
        for j in range(4):
            product = _evaluate([t[i:i + 1] for t in first], directions) * _evaluate([t[j:j + 1] for t in second],
                                                                                   directions)
            torch.testing.assert_close(pairwise[i, j], (product * weights[:, None]).sum(0), rtol=1e-6, atol=0)
    torch.testing.assert_close(sg.unbatched_reduced_sg_inner_product(*first, *second), pairwise.sum(1))
    amplitude, axis, sharpness = (t.clone().requires_grad_() for t in first)
    assert torch.autograd.gradcheck(lambda a, d, s: sg.unbatched_sg_inner_product(a, d, s, *second),
                                    (amplitude, axis, sharpness))


def test_sg_diffuse_terms_against_the_exact_irradiance(sphere):
    directions, weights, _, _ = sphere
    lobes = _lobes(3, 4)
    normals = _unit(32, 5)
    radiance = _evaluate(lobes, directions)  # (N, 3)
    exact = torch.einsum("pn,nc->pc", (normals @ directions.T).clamp(min=0) * weights, radiance)
    # Inner product with the fitted cosine SG: the lobe's own formula, integrated numerically...
    cosine_lobe = sg.cosine_lobe_sg(normals)
    lobe_values = cosine_lobe[0][:, None, :] * torch.exp(cosine_lobe[2][:, None, None]
                                                         * ((normals @ directions.T)[..., None] - 1))
    by_quadrature = (lobe_values * radiance[None] * weights[None, :, None]).sum(1)
    torch.testing.assert_close(sg.sg_irradiance_inner_product(*lobes, normals), by_quadrature.clamp(min=0),
                               rtol=1e-6, atol=1e-9)
    # ...and both approximations stay near the exact irradiance: the one-lobe cosine fit within 15% of the
    # largest value (11% here), Hill's fitted curve within 3% (1.3% here).
    scale = float(exact.max())
    assert (sg.sg_irradiance_inner_product(*lobes, normals) - exact).abs().max() < 0.15 * scale
    fitted = sg.sg_irradiance_fitted(*lobes, normals)  # (32, 3 lobes, 3)
    assert fitted.shape == (32, 3, 3)
    assert (fitted.sum(1) - exact).abs().max() < 0.03 * scale
    albedo = torch.rand(32, 3, dtype=torch.float64)
    torch.testing.assert_close(sg.sg_diffuse_fitted(*lobes, normals, albedo),
                               fitted.mean(1).clamp(min=0) * albedo / math.pi)
    torch.testing.assert_close(sg.sg_diffuse_inner_product(*lobes, normals, albedo),
                               sg.sg_irradiance_inner_product(*lobes, normals) * albedo / math.pi)


def test_sg_specular_term_integrates_the_warped_ndf(sphere):
    directions, weights, _, _ = sphere
    lobes = _lobes(2, 6)
    normals = _unit(8, 7)
    view = torch.nn.functional.normalize(normals + 0.5 * _unit(8, 8), dim=-1)
    roughness = torch.linspace(0.3, 0.8, 8, dtype=torch.float64)
    spec = torch.full((8, 3), 0.04, dtype=torch.float64)
    output = sg.sg_warp_specular_term(*lobes, normals, roughness, view, spec)
    # Independent evaluation: the warped GGX lobe (axis = view mirrored about n, sharpness 2/m^2 / (4 n.v)),
    # integrated against the radiance numerically, times Smith G, Schlick F and n.l at the lobe's axis.
    m2 = roughness ** 2
    n_dot_v = (normals * view).sum(-1)
    axis = 2 * n_dot_v[:, None] * normals - view
    sharp = 2 / m2 / (4 * n_dot_v.clamp(min=1e-4))
    lobe = torch.exp(sharp[:, None] * (axis @ directions.T - 1)) / (math.pi * m2[:, None])
    integral = torch.einsum("pn,nc->pc", lobe * weights, _evaluate(lobes, directions))
    n_dot_l = (normals * axis).sum(-1).clamp(0, 1)
    half = torch.nn.functional.normalize(axis + view, dim=-1)
    l_dot_h = (axis * half).sum(-1).clamp(0, 1)

    def smith(c):
        return 1 / (c + torch.sqrt(m2 + (1 - m2) * c * c))

    fresnel = 0.04 + 0.96 * (1 - l_dot_h) ** 5
    expected = integral * (smith(n_dot_l) * smith(n_dot_v.clamp(0, 1)) * n_dot_l)[:, None] * fresnel[:, None]
    torch.testing.assert_close(output, expected.clamp(min=0), rtol=1e-6, atol=1e-9)


def test_lighting_parameters_and_suns():
    light = sg.SgLightingParameters()
    assert light.amplitude.shape == (1, 3) and light.sharpness.shape == (1,)
    torch.testing.assert_close(light.direction, torch.tensor([[1.0, 0.0, 0.0]]))
    light = sg.SgLightingParameters(amplitude=2.0, direction=torch.tensor([[0.0, 3.0, 4.0]] * 5))
    assert light.amplitude.shape == (5, 3) and torch.allclose(light.direction[0], torch.tensor([0.0, 0.6, 0.8]))
    sun = sg.SgLightingParameters.from_sun(torch.tensor([[0.0, 1.0, 0.0]]), strength=3.0, angle=math.pi / 4)
    # The lobe is at half its peak at the sun's angular radius.
    lobe_at_radius = sun.amplitude[0, 0] * torch.exp(sun.sharpness[0] * (math.cos(math.pi / 8) - 1))
    torch.testing.assert_close(lobe_at_radius, torch.tensor(0.5))
    # y-up: azimuth 0, elevation 0 looks along +z; elevation pi/2 is +y.
    torch.testing.assert_close(sg.sg_direction_from_azimuth_elevation(0.0, 0.0), torch.tensor([[0.0, 0.0, 1.0]]))
    torch.testing.assert_close(sg.sg_direction_from_azimuth_elevation(0.0, math.pi / 2),
                               torch.tensor([[0.0, 1.0, 0.0]]), atol=1e-7, rtol=0)
    with pytest.raises(RenderError, match="albedo"):
        sg.sg_diffuse_fitted(*_lobes(2, 0), _unit(4, 0), torch.ones(3, 3, dtype=torch.float64))
