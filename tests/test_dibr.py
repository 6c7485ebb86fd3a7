"""dibr_rasterization: culling, agreement with the brute-force reference, sphere silhouettes, gradients."""
import math
import warnings

import numpy as np
import pytest
import torch
import trimesh
from render_reference import rasterize_reference, soft_mask_reference

from kaolin_pipeline.errors import RenderError
from kaolin_pipeline.render.camera import generate_perspective_projection, generate_rotate_translate_matrices
from kaolin_pipeline.render.dibr import dibr_rasterization
from kaolin_pipeline.render.rasterize import prepare_vertices

UP = torch.tensor([[0.0, 1.0, 0.0]])


def render_sphere(subdivisions, size, distances, fovy, dtype=torch.float32, scale=None, **kwargs):
    """Render a unit icosphere centred at the origin from cameras on the +z axis at ``distances``."""
    sphere = trimesh.creation.icosphere(subdivisions=subdivisions)
    vertices = torch.tensor(sphere.vertices, dtype=dtype).expand(len(distances), -1, -1)
    if scale is not None:
        vertices = vertices * scale
    faces = torch.tensor(sphere.faces, dtype=torch.long)
    positions = torch.tensor([[0.0, 0.0, d] for d in distances], dtype=dtype)
    rot, trans = generate_rotate_translate_matrices(positions, torch.zeros(1, 3, dtype=dtype), UP.to(dtype))
    proj = generate_perspective_projection(fovy, dtype=dtype)
    face_camera, face_image, normals = prepare_vertices(vertices, faces, proj, camera_rot=rot, camera_trans=trans)
    return dibr_rasterization(size, size, face_camera[..., 2], face_image, face_camera, normals[..., 2], **kwargs)


def test_back_faces_are_culled_from_the_raster_but_shape_the_soft_mask():
    front = [[-0.8, -0.8], [0.0, -0.8], [-0.8, 0.0]]  # counter-clockwise
    back = [[0.1, 0.1], [0.1, 0.9], [0.9, 0.1]]
    image = torch.tensor([[front, back]], dtype=torch.float64)
    z = torch.full((1, 2, 3), -2.0, dtype=torch.float64)
    normals_z = torch.tensor([[1.0, -1.0]], dtype=torch.float64)
    features, soft_mask, face_idx = dibr_rasterization(16, 16, z, image, torch.ones(1, 2, 3, 1, dtype=torch.float64),
                                                       normals_z, sigmainv=200.0, boxlen=0.1)
    assert set(face_idx.unique().tolist()) == {-1, 0}
    assert torch.allclose(features[..., 0], (face_idx >= 0).double(), rtol=0, atol=1e-12)
    # Centre of pixel (4, 11) is (0.4375, 0.4375), inside the culled face, at distance 0.125 / sqrt(2)
    # from its hypotenuse x + y = 1; the front face's enlarged box ends at x = 0.1.
    assert face_idx[0, 4, 11] == -1
    assert soft_mask[0, 4, 11].item() == pytest.approx(math.exp(-200 * 0.125 ** 2 / 2), abs=1e-12)


def random_faces(generator, batch_size, num_faces):
    """Small random float64 faces around the image, in front of the camera, facing either way: image
    coordinates (B, F, 3, 2), camera-space z (B, F, 3) in [-3, -2] and normal z (B, F)."""
    centres = torch.rand(batch_size, num_faces, 1, 2, generator=generator, dtype=torch.float64) * 2.4 - 1.2
    image = centres + 0.15 * torch.randn(batch_size, num_faces, 3, 2, generator=generator, dtype=torch.float64)
    z = -2.0 - torch.rand(batch_size, num_faces, 3, generator=generator, dtype=torch.float64)
    normals_z = torch.randn(batch_size, num_faces, generator=generator, dtype=torch.float64)
    return image, z, normals_z


def test_matches_brute_force_reference_with_culling():
    generator = torch.Generator().manual_seed(4)
    batch_size, num_faces, height, width = 2, 150, 24, 36
    image, z, normals_z = random_faces(generator, batch_size, num_faces)
    colours = torch.rand(batch_size, num_faces, 3, 3, generator=generator, dtype=torch.float64)
    uvs = torch.rand(batch_size, num_faces, 3, 2, generator=generator, dtype=torch.float64)
    (image_colours, image_uvs), soft_mask, face_idx = dibr_rasterization(
        height, width, z, image, [colours, uvs], normals_z, sigmainv=2000.0, boxlen=0.1, knum=8)
    for b in range(batch_size):
        expected, expected_idx = rasterize_reference(height, width, z[b].numpy(), image[b].numpy(),
                                                     torch.cat([colours, uvs], -1)[b].numpy(),
                                                     (normals_z[b] >= 0).numpy())
        np.testing.assert_array_equal(face_idx[b].numpy(), expected_idx)
        np.testing.assert_allclose(torch.cat([image_colours, image_uvs], -1)[b].numpy(), expected, atol=1e-6)
        expected_mask = soft_mask_reference(image[b].numpy(), expected_idx, 2000.0, 0.1, 8)
        np.testing.assert_allclose(soft_mask[b].numpy(), expected_mask, atol=1e-6)


def test_sphere_silhouette_area_matches_the_analytic_disc():
    fovy = math.radians(50)
    distances = [3.0, 4.0]
    _, soft_mask, face_idx = render_sphere(5, 256, distances, fovy)
    pixel_area = (2 / 256) ** 2
    for b, distance in enumerate(distances):
        # The silhouette of a unit sphere seen from its axis is a disc of angular radius asin(1 / d).
        radius = math.tan(math.asin(1 / distance)) / math.tan(fovy / 2)
        area = (face_idx[b] >= 0).sum().item() * pixel_area
        assert area == pytest.approx(math.pi * radius ** 2, rel=0.01)
        # Centred on the image, and the soft mask agrees with the hard one inside and far outside.
        rows, cols = torch.nonzero(face_idx[b] >= 0, as_tuple=True)
        assert abs(rows.float().mean().item() - 127.5) < 0.5 and abs(cols.float().mean().item() - 127.5) < 0.5
        assert torch.equal(soft_mask[b][face_idx[b] >= 0], torch.ones(len(rows)))
        assert soft_mask[b, 0, 0].item() == 0.0


def test_soft_mask_gradient_matches_finite_differences_of_the_sphere_scale():
    # A wide boxlen and a large knum keep the candidate faces fixed under the perturbation, and the
    # soft mask is continuous when pixels switch between covered and background.
    options = dict(sigmainv=3000.0, boxlen=0.15, knum=5000)
    scale = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    _, soft_mask, _ = render_sphere(2, 48, [3.0], math.radians(45), dtype=torch.float64, scale=scale, **options)
    analytic, = torch.autograd.grad(soft_mask.sum(), scale)
    step = 1e-4
    upper = render_sphere(2, 48, [3.0], math.radians(45), dtype=torch.float64, scale=1 + step, **options)[1].sum()
    lower = render_sphere(2, 48, [3.0], math.radians(45), dtype=torch.float64, scale=1 - step, **options)[1].sum()
    numeric = (upper - lower).item() / (2 * step)
    assert analytic.item() > 0  # a larger sphere has a larger silhouette
    assert analytic.item() == pytest.approx(numeric, rel=0.02)


def test_face_normals_z_shape_is_checked():
    with pytest.raises(RenderError, match="face_normals_z"):
        dibr_rasterization(4, 4, torch.zeros(1, 2, 3), torch.zeros(1, 2, 3, 2), torch.zeros(1, 2, 3, 1),
                           torch.zeros(1, 3))


def test_closed_mesh_silhouette_has_no_holes():
    from scipy.ndimage import binary_fill_holes

    sphere = trimesh.creation.icosphere(subdivisions=4)
    vertices = torch.tensor(sphere.vertices, dtype=torch.float32).unsqueeze(0)
    faces = torch.tensor(sphere.faces, dtype=torch.long)
    rot, trans = generate_rotate_translate_matrices(torch.tensor([[0.7, 0.4, 2.6]]), torch.tensor([[0.05, -0.1, 0.0]]),
                                                    UP)
    face_camera, face_image, normals = prepare_vertices(vertices, faces, generate_perspective_projection(0.9),
                                                        camera_rot=rot, camera_trans=trans)
    _, _, face_idx = dibr_rasterization(193, 211, face_camera[..., 2], face_image, face_camera, normals[..., 2])
    covered = (face_idx[0] >= 0).numpy()
    assert covered.sum() > 1000
    assert np.array_equal(binary_fill_holes(covered), covered)


@pytest.mark.parametrize("max_pairs", [1 << 20, 300])
def test_valid_faces_leave_both_the_raster_and_the_soft_mask(max_pairs):
    generator = torch.Generator().manual_seed(5)
    batch_size, num_faces, height, width = 2, 120, 20, 24
    image, z, normals_z = random_faces(generator, batch_size, num_faces)
    valid = torch.rand(batch_size, num_faces, generator=generator) > 0.4
    colours = torch.rand(batch_size, num_faces, 3, 3, generator=generator, dtype=torch.float64)
    features, soft_mask, face_idx = dibr_rasterization(height, width, z, image, colours, normals_z, sigmainv=2000.0,
                                                       boxlen=0.1, knum=6, valid_faces=valid, max_pairs=max_pairs)
    for b in range(batch_size):
        # The reference drops the invalid faces outright (their indices are remapped back).
        kept = valid[b].nonzero().squeeze(1).numpy()
        expected, expected_idx = rasterize_reference(height, width, z[b, kept].numpy(), image[b, kept].numpy(),
                                                     colours[b, kept].numpy(), (normals_z[b, kept] >= 0).numpy())
        expected_mask = soft_mask_reference(image[b, kept].numpy(), expected_idx, 2000.0, 0.1, 6)
        np.testing.assert_array_equal(face_idx[b].numpy(), np.where(expected_idx >= 0, kept[expected_idx], -1))
        np.testing.assert_allclose(features[b].numpy(), expected, atol=1e-9)
        np.testing.assert_allclose(soft_mask[b].numpy(), expected_mask, atol=1e-9)
    assert ((soft_mask > 0.01) & (soft_mask < 0.99)).any()


def test_kaolin_rast_backend_keyword():
    face_camera = torch.tensor([[[[-1.0, -1.0, -2.0], [1.0, -1.0, -2.0], [-1.0, 1.0, -2.0]]]])
    image = face_camera[..., :2] / 2
    args = (8, 8, face_camera[..., 2], image, face_camera, torch.ones(1, 1))
    expected = dibr_rasterization(*args)
    for got, want in zip(dibr_rasterization(*args, 7000, 0.02, 30, None, None, "cuda"), expected):
        assert torch.equal(got, want)
    for backend in ("cpu", "nvdiffrast", "nvdiffrast_fwd"):  # all served by this rasterizer
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = dibr_rasterization(*args, rast_backend=backend)
        for got_i, want in zip(got, expected):
            assert torch.equal(got_i, want)
    with pytest.raises(RenderError, match="rast_backend"):
        dibr_rasterization(*args, rast_backend="opengl")
    with pytest.raises(RenderError, match="valid_faces"):
        dibr_rasterization(*args, valid_faces=torch.ones(1, 2, dtype=torch.bool))
