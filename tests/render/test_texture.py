"""texture_mapping against a NumPy reference written here, plus gradchecks."""
import numpy as np
import pytest
import torch

from kaolin_pipeline.errors import RenderError
from kaolin_pipeline.render.texture import texture_mapping

# A 4x4 RGB texture whose texel (row r, col c) holds (r, c, 10 r + c); row 0 is the top of the image.
ROWS, COLS = np.meshgrid(np.arange(4), np.arange(4), indexing="ij")
TEXTURE = np.stack([ROWS, COLS, 10 * ROWS + COLS]).astype(np.float64)  # (3, 4, 4)


def reference_sample(texture: np.ndarray, uv: np.ndarray, mode: str) -> np.ndarray:
    """Sample a (C, H, W) texture at (N, 2) UVs: OpenGL origin bottom-left, [0,1] spans texel edges."""
    _, height, width = texture.shape
    uv = np.clip(uv, 0.0, 1.0)
    col = np.clip(uv[:, 0] * width - 0.5, 0, width - 1)          # continuous texel-centre coordinates
    row = np.clip((1.0 - uv[:, 1]) * height - 0.5, 0, height - 1)
    if mode == "nearest":
        return texture[:, np.floor(row + 0.5).astype(int), np.floor(col + 0.5).astype(int)].T
    r0, c0 = np.floor(row).astype(int), np.floor(col).astype(int)
    r1, c1 = np.minimum(r0 + 1, height - 1), np.minimum(c0 + 1, width - 1)
    fr, fc = (row - r0)[None], (col - c0)[None]
    top = texture[:, r0, c0] * (1 - fc) + texture[:, r0, c1] * fc
    bottom = texture[:, r1, c0] * (1 - fc) + texture[:, r1, c1] * fc
    return (top * (1 - fr) + bottom * fr).T


# Corners, texel centres, points between texels and out-of-range values (clamped).
UVS = np.array([
    [0.0, 1.0], [1.0, 0.0], [0.0, 0.0], [1.0, 1.0],
    [0.125, 0.875], [0.375, 0.625], [0.875, 0.125],
    [0.3, 0.7], [0.61, 0.2], [0.05, 0.52], [0.49, 0.93],
    [-0.5, 1.7], [1.2, -3.0],
])


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_sparse_coordinates_match_numpy_reference(mode):
    texture = torch.tensor(TEXTURE).unsqueeze(0)
    uv = torch.tensor(UVS).unsqueeze(0)
    out = texture_mapping(uv, texture, mode=mode)
    assert out.shape == (1, len(UVS), 3)
    np.testing.assert_allclose(out[0].numpy(), reference_sample(TEXTURE, UVS, mode), atol=1e-12)


def test_corners_sample_expected_texels():
    texture = torch.tensor(TEXTURE).unsqueeze(0)
    uv = torch.tensor([[[0.0, 1.0], [1.0, 0.0]]], dtype=torch.float64)
    for mode in ("nearest", "bilinear"):
        out = texture_mapping(uv, texture, mode=mode)[0]
        assert out[0].tolist() == [0.0, 0.0, 0.0]      # top-left texel
        assert out[1].tolist() == [3.0, 3.0, 33.0]     # bottom-right texel


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_dense_coordinates_keep_image_layout_and_batch(mode):
    generator = torch.Generator().manual_seed(0)
    uv = torch.rand(2, 3, 5, 2, generator=generator, dtype=torch.float64)
    textures = torch.stack([torch.tensor(TEXTURE), torch.tensor(TEXTURE) * -2.0])
    out = texture_mapping(uv, textures, mode=mode)
    assert out.shape == (2, 3, 5, 3)
    for b in range(2):
        expected = reference_sample(textures[b].numpy(), uv[b].reshape(-1, 2).numpy(), mode)
        np.testing.assert_allclose(out[b].reshape(-1, 3).numpy(), expected, atol=1e-12)


def test_single_texture_is_shared_by_the_batch():
    uv = torch.rand(3, 7, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    out = texture_mapping(uv, torch.tensor(TEXTURE).unsqueeze(0), mode="bilinear")
    for b in range(3):
        np.testing.assert_allclose(out[b].numpy(), reference_sample(TEXTURE, uv[b].numpy(), "bilinear"), atol=1e-12)


def test_bilinear_gradcheck_texture_and_coordinates():
    generator = torch.Generator().manual_seed(2)
    texture = torch.rand(2, 3, 4, 5, dtype=torch.float64, generator=generator, requires_grad=True)
    # Keep away from texel centres and the clamp boundaries where bilinear weights have kinks.
    uv = (0.2 + 0.6 * torch.rand(2, 6, 2, dtype=torch.float64, generator=generator)).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda c, t: texture_mapping(c, t, mode="bilinear"), (uv, texture))


def test_nearest_is_differentiable_wrt_texture():
    texture = torch.rand(1, 3, 4, 4, dtype=torch.float64, requires_grad=True)
    uv = torch.tensor([[[0.1, 0.3], [0.6, 0.9]]], dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda t: texture_mapping(uv, t, mode="nearest"), (texture,))


def test_input_is_not_modified():
    uv = torch.tensor([[[-0.5, 1.5]]])
    texture_mapping(uv, torch.rand(1, 3, 2, 2))
    assert uv.tolist() == [[[-0.5, 1.5]]]


@pytest.mark.parametrize("uv, texture, mode, match", [
    (torch.rand(1, 4, 2), torch.rand(1, 3, 2, 2), "bicubic", "mode"),
    (torch.rand(1, 4, 3), torch.rand(1, 3, 2, 2), "nearest", "texture_coordinates"),
    (torch.rand(1, 4, 2), torch.rand(3, 2, 2), "nearest", "texture_maps"),
    (torch.rand(2, 4, 2), torch.rand(3, 3, 2, 2), "nearest", "batch size"),
    (torch.rand(1, 4, 2), torch.rand(1, 3, 2, 2, dtype=torch.float64), "nearest", "dtype"),
])
def test_bad_arguments_raise_render_error(uv, texture, mode, match):
    with pytest.raises(RenderError, match=match):
        texture_mapping(uv, texture, mode=mode)
