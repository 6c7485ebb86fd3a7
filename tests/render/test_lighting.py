"""Spherical-harmonic and Lambertian lighting against closed forms computed by hand."""
import math

import pytest
import torch

from kaolin_pipeline.errors import RenderError
from kaolin_pipeline.render.lighting import lambertian_lighting, spherical_harmonic_lighting

# Real SH normalisations; Kaolin's DIB-R basis divides the xz and x²−y² terms by a further √2.
Y00 = 0.5 * math.sqrt(1 / math.pi)
Y1 = 0.5 * math.sqrt(3 / math.pi)
Y2_OFF = 0.5 * math.sqrt(15 / math.pi)
Y20 = 0.25 * math.sqrt(5 / math.pi)
Y22 = 0.25 * math.sqrt(15 / math.pi)


def hand_basis(x, y, z):
    """Kaolin's order: [1, x, z, y, xy, yz, 3z²−1, xz, x²−y²]."""
    return [Y00, Y1 * x, Y1 * z, Y1 * y, Y2_OFF * x * y, Y2_OFF * y * z, Y20 * (3 * z * z - 1),
            Y2_OFF / math.sqrt(2) * x * z, Y22 / math.sqrt(2) * (x * x - y * y)]


def random_unit_normals(shape, seed=0):
    normals = torch.randn(*shape, 3, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return normals / normals.norm(dim=-1, keepdim=True)


def test_dc_only_lights_give_constant_image():
    normals = random_unit_normals((2, 5, 6))
    lights = torch.zeros(2, 9, dtype=torch.float64)
    lights[:, 0] = torch.tensor([1.0, 3.0])
    out = spherical_harmonic_lighting(normals, lights)
    assert out.shape == (2, 5, 6)
    assert torch.allclose(out[0], torch.full((5, 6), 0.28209479177, dtype=torch.float64), atol=1e-10)
    assert torch.allclose(out[1], torch.full((5, 6), 3 * 0.28209479177, dtype=torch.float64), atol=1e-10)


@pytest.mark.parametrize("normal", [
    (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0), (0.0, 0.0, -1.0),
    (1 / math.sqrt(3), 1 / math.sqrt(3), 1 / math.sqrt(3)), (0.6, -0.8, 0.0), (0.0, 0.6, -0.8),
])
def test_each_coefficient_matches_closed_form_basis(normal):
    imnormal = torch.tensor(normal, dtype=torch.float64).reshape(1, 1, 1, 3).expand(9, 1, 1, 3)
    lights = torch.eye(9, dtype=torch.float64)      # item k switches on coefficient k only
    out = spherical_harmonic_lighting(imnormal, lights).reshape(9)
    expected = torch.tensor(hand_basis(*normal), dtype=torch.float64)
    assert torch.allclose(out, expected, atol=1e-9)


def test_sh_lights_of_shape_9_are_shared_and_linear():
    normals = random_unit_normals((3, 4, 4), seed=1)
    lights = torch.randn(9, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    shared = spherical_harmonic_lighting(normals, lights)
    per_item = spherical_harmonic_lighting(normals, lights.expand(3, 9))
    assert torch.allclose(shared, per_item)
    assert torch.allclose(spherical_harmonic_lighting(normals, 2 * lights), 2 * shared)


def test_sh_lighting_gradcheck():
    normals = random_unit_normals((2, 2, 3), seed=4).requires_grad_(True)
    lights = torch.randn(2, 9, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(spherical_harmonic_lighting, (normals, lights))


def test_lambertian_closed_form():
    normals = torch.tensor([[[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.6, 0.0, 0.8]]])
    out = lambertian_lighting(normals, direction=(0.0, 0.0, 2.0), ambient=0.25, diffuse=0.5)
    # cosines 1, 0, clamped −1 → 0, 0.8
    assert torch.allclose(out, torch.tensor([[0.75, 0.25, 0.25, 0.65]]))


def test_lambertian_per_item_direction():
    normals = torch.tensor([[[0.0, 1.0, 0.0]], [[0.0, 1.0, 0.0]]])
    out = lambertian_lighting(normals, torch.tensor([[0.0, 1.0, 0.0], [1.0, 1.0, 0.0]]), ambient=0.0, diffuse=1.0)
    assert torch.allclose(out, torch.tensor([[1.0], [1 / math.sqrt(2)]]))


@pytest.mark.parametrize("call, match", [
    (lambda: spherical_harmonic_lighting(torch.rand(2, 3, 3, 2), torch.rand(2, 9)), "normals"),
    (lambda: spherical_harmonic_lighting(torch.rand(2, 3, 3, 3), torch.rand(2, 4)), "lights"),
    (lambda: spherical_harmonic_lighting(torch.rand(2, 3, 3, 3), torch.rand(3, 9)), "lights"),
    (lambda: lambertian_lighting(torch.rand(2, 3, 3), (0.0, 0.0)), "direction"),
    (lambda: lambertian_lighting(torch.rand(2, 3, 3), (0.0, 0.0, 0.0)), "non-zero"),
])
def test_bad_arguments_raise_render_error(call, match):
    with pytest.raises(RenderError, match=match):
        call()
