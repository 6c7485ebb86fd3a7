"""DIB-R soft mask: hand-computed values, the NumPy brute-force reference, knum/boxlen, gradcheck."""
import math

import numpy as np
import pytest
import torch
from render_reference import soft_mask_reference
from small_meshes import half_screen_triangle

from kaolin_pipeline.errors import RenderError
from kaolin_pipeline.render.rasterize import rasterize
from kaolin_pipeline.render.soft_mask import dibr_soft_mask

HALF_SCREEN = half_screen_triangle()


def hard_face_idx(image, valid=None, height=4, width=4):
    z = torch.zeros(image.shape[:3], dtype=image.dtype)
    return rasterize(height, width, z, image.detach(), torch.zeros(*image.shape[:3], 1, dtype=image.dtype),
                     valid_faces=valid)[1]


def random_scene(seed, num_faces, dtype=torch.float64):
    generator = torch.Generator().manual_seed(seed)
    centres = torch.rand(2, num_faces, 1, 2, generator=generator, dtype=dtype) * 2.6 - 1.3
    sizes = torch.rand(2, num_faces, 1, 1, generator=generator, dtype=dtype) * 0.3 + 0.02
    image = centres + sizes * torch.randn(2, num_faces, 3, 2, generator=generator, dtype=dtype)
    valid = torch.rand(2, num_faces, generator=generator) > 0.3
    return image, valid


def reference_masks(image, face_idx, sigmainv, boxlen, knum):
    return np.stack([soft_mask_reference(image[b].numpy(), face_idx[b].numpy(), sigmainv, boxlen, knum)
                     for b in range(image.shape[0])])


def test_covered_pixels_are_one_without_gradient():
    image = torch.tensor([[HALF_SCREEN]], dtype=torch.float64, requires_grad=True)
    face_idx = hard_face_idx(image)
    mask = dibr_soft_mask(image, face_idx, sigmainv=2.0)
    covered = face_idx >= 0
    assert torch.equal(mask[covered], torch.ones(int(covered.sum()), dtype=torch.float64))
    grad, = torch.autograd.grad(mask[covered].sum(), image, allow_unused=True, materialize_grads=True)
    assert torch.equal(grad, torch.zeros_like(image))


def test_hand_computed_values_of_one_face():
    image = torch.tensor([[HALF_SCREEN]], dtype=torch.float64)
    mask = dibr_soft_mask(image, hard_face_idx(image), sigmainv=2.0, boxlen=0.0)
    # Centre (0.75, 0.75) is 1.5 / sqrt(2) from the hypotenuse x + y = 0: d² = 1.125.
    assert mask[0, 0, 3].item() == pytest.approx(math.exp(-2.25), abs=1e-12)
    # Centre (0.25, 0.75): d² = 0.5.
    assert mask[0, 0, 2].item() == pytest.approx(math.exp(-1.0), abs=1e-12)
    assert mask.dtype == torch.float64 and mask.shape == (1, 4, 4)


def test_distance_to_a_corner_and_boxlen_cut_off():
    # A small face in the top-left; its nearest point to the centre (0.25, -0.25) is the corner (0, 0).
    image = torch.tensor([[[[-0.5, 0.0], [0.0, 0.0], [-0.5, 0.5]]]], dtype=torch.float64)
    face_idx = torch.full((1, 4, 4), -1)
    wide = dibr_soft_mask(image, face_idx, sigmainv=3.0, boxlen=0.3)
    assert wide[0, 2, 2].item() == pytest.approx(math.exp(-3.0 * 0.125), abs=1e-12)
    # With boxlen 0.2 the box [-0.7, 0.2] x [-0.2, 0.7] no longer holds x = 0.25: no influence.
    narrow = dibr_soft_mask(image, face_idx, sigmainv=3.0, boxlen=0.2)
    assert narrow[0, 2, 2].item() == 0.0
    assert narrow[0, 1, 1].item() > 0.0  # (-0.25, 0.25) is inside the face's box


def test_faces_combine_as_independent_probabilities_and_knum_keeps_the_first():
    left = [[-1.0, -1.0], [-0.5, -1.0], [-1.0, 1.0]]
    right = [[1.0, -1.0], [0.5, 1.0], [1.0, 1.0]]
    image = torch.tensor([[left, right]], dtype=torch.float64)
    face_idx = torch.full((1, 1, 2), -1)  # one row, centres (-0.5, 0) and (0.5, 0)
    mask = dibr_soft_mask(image, face_idx, sigmainv=1.0, boxlen=2.0)
    # From (-0.5, 0) the nearest edges lie on the lines 2x + 0.5y + 1.5 = 0 (left face) and
    # 2x + 0.5y - 1.5 = 0 (right face), both with the foot of the perpendicular inside the edge.
    d2_left, d2_right = 0.25 / 4.25, 6.25 / 4.25
    expected = 1 - (1 - math.exp(-d2_left)) * (1 - math.exp(-d2_right))
    assert mask[0, 0, 0].item() == pytest.approx(expected, abs=1e-12)
    only_first = dibr_soft_mask(image, face_idx, sigmainv=1.0, boxlen=2.0, knum=1)
    assert only_first[0, 0, 0].item() == pytest.approx(math.exp(-d2_left), abs=1e-12)


@pytest.mark.parametrize("sigmainv, boxlen, knum, max_pairs", [
    (7000.0, 0.02, 30, 1 << 20),
    (300.0, 0.3, 4, 1 << 20),
    (300.0, 0.3, 4, 3000),  # several chunks: truncation must hold across them
])
def test_matches_brute_force_reference(sigmainv, boxlen, knum, max_pairs):
    image, valid = random_scene(0, 120)
    face_idx = hard_face_idx(image, valid, height=32, width=48)
    mask = dibr_soft_mask(image, face_idx, sigmainv=sigmainv, boxlen=boxlen, knum=knum, max_pairs=max_pairs)
    expected = reference_masks(image, face_idx, sigmainv, boxlen, knum)
    np.testing.assert_allclose(mask.numpy(), expected, atol=1e-6)
    background = (face_idx < 0).numpy()
    assert ((expected > 1e-3) & background).sum() > 50  # the soft part is exercised
    if knum < 30:  # truncation changes the result somewhere
        assert np.abs(expected - reference_masks(image, face_idx, sigmainv, boxlen, 1000)).max() > 1e-3


def test_knum_truncation_and_boxlen_exclusion_both_matter():
    # Twelve thin faces fanned around the centre pixel; knum 5 keeps the first five.
    angles = torch.linspace(0, 2 * math.pi, 13, dtype=torch.float64)[:-1]
    inner = 0.05 * torch.stack([angles.cos(), angles.sin()], -1)
    outer = 0.6 * torch.stack([angles.cos(), angles.sin()], -1)
    side = 0.02 * torch.stack([-angles.sin(), angles.cos()], -1)
    image = torch.stack([inner, outer - side, outer + side], 1).unsqueeze(0)
    face_idx = torch.full((1, 9, 9), -1)
    truncated = dibr_soft_mask(image, face_idx, sigmainv=1000.0, boxlen=0.06, knum=5)
    full = dibr_soft_mask(image, face_idx, sigmainv=1000.0, boxlen=0.06, knum=100)
    no_margin = dibr_soft_mask(image, face_idx, sigmainv=1000.0, boxlen=0.0, knum=100)
    for mask, boxlen, knum in ((truncated, 0.06, 5), (full, 0.06, 100), (no_margin, 0.0, 100)):
        np.testing.assert_allclose(mask[0].numpy(), soft_mask_reference(image[0].numpy(), face_idx[0].numpy(),
                                                                         1000.0, boxlen, knum), atol=1e-9)
    assert (truncated[0, 4, 4] - full[0, 4, 4]).abs() > 1e-3
    assert (full[0, 4, 4] - no_margin[0, 4, 4]).abs() > 1e-3


def test_gradcheck_wrt_image_vertices():
    image = torch.tensor([[[[-0.83, -0.71], [0.12, -0.93], [-0.47, 0.37]],
                           [[0.11, 0.05], [0.97, 0.21], [0.41, 0.93]],
                           [[-0.9, 0.5], [-0.2, 0.6], [-0.6, 0.95]]]], dtype=torch.float64)
    face_idx = hard_face_idx(image, torch.tensor([[True, False, False]]), height=5, width=6)
    assert (face_idx >= 0).any() and (face_idx < 0).any()
    image.requires_grad_(True)
    # boxlen 3 puts every pixel in every box and knum 10 keeps every face: the pair set is fixed.
    assert torch.autograd.gradcheck(
        lambda v: dibr_soft_mask(v, face_idx, sigmainv=20.0, boxlen=3.0, knum=10), (image,))


def test_pixel_centre_on_a_boundary_gives_one_and_a_finite_gradient():
    # Not rasterized (say culled), with its edge x = 0.25 through the centres of column 2 of a 4 x 4 image.
    image = torch.tensor([[[[0.25, -1.0], [1.0, -1.0], [0.25, 1.0]],
                           [[-1.0, -1.0], [-0.5, -1.0], [-1.0, 0.0]]]], dtype=torch.float64, requires_grad=True)
    mask = dibr_soft_mask(image, torch.full((1, 4, 4), -1), sigmainv=10.0, boxlen=2.0)
    assert torch.equal(mask[0, :, 2], torch.ones(4, dtype=torch.float64))
    grad, = torch.autograd.grad(mask.sum(), image)
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0


def test_float32_follows_input_dtype():
    image, valid = random_scene(1, 30, dtype=torch.float32)
    face_idx = hard_face_idx(image, valid, height=16, width=16)
    mask = dibr_soft_mask(image, face_idx)
    assert mask.dtype == torch.float32 and ((mask >= 0) & (mask <= 1)).all()


@pytest.mark.parametrize("kwargs, message", [
    (dict(face_vertices_image=torch.zeros(1, 2, 3)), "face_vertices_image"),
    (dict(selected_face_idx=torch.zeros(2, 4, 4, dtype=torch.long)), "selected_face_idx"),
    (dict(selected_face_idx=torch.zeros(1, 4, 4)), "integer"),
    (dict(sigmainv=0), "sigmainv"),
    (dict(boxlen=-0.1), "boxlen"),
    (dict(knum=0), "knum"),
    (dict(knum=2.5), "knum"),
    (dict(multiplier=-1), "multiplier"),
])
def test_bad_arguments_raise_render_error(kwargs, message):
    arguments = dict(face_vertices_image=torch.zeros(1, 2, 3, 2), selected_face_idx=torch.zeros(1, 4, 4, dtype=torch.long))
    arguments.update(kwargs)
    with pytest.raises(RenderError, match=message):
        dibr_soft_mask(**arguments)


def test_accelerator_matches_cpu(accelerator):
    image, valid = random_scene(2, 200, dtype=torch.float32)
    face_idx = hard_face_idx(image, valid, height=40, width=56)
    expected = dibr_soft_mask(image, face_idx)
    mask = dibr_soft_mask(image.to(accelerator), face_idx.to(accelerator))
    assert mask.device.type == accelerator
    assert torch.allclose(mask.cpu(), expected, atol=1e-5)
