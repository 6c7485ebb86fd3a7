"""Hard rasterization and prepare_vertices: hand-computed cases, the NumPy brute-force reference, gradcheck."""
import importlib
import math
import warnings

import numpy as np
import pytest
import torch
from render_reference import rasterize_reference
from small_meshes import half_screen_triangle

from kaolin_pipeline.errors import RenderError
from kaolin_pipeline.render.binning import count_in_boxes, face_grids, pixel_boxes
from kaolin_pipeline.render.camera import generate_perspective_projection, generate_transformation_matrix
from kaolin_pipeline.render.rasterize import prepare_vertices, rasterize

rasterize_module = importlib.import_module("kaolin_pipeline.render.rasterize")  # the package exports the function

# Lower-left half of the screen: (-1, -1), (1, -1), (-1, 1). At 4 x 4 its hypotenuse x + y = 0
# passes exactly through the centres of the diagonal pixels (row h, col h).
HALF_SCREEN = half_screen_triangle()
CORNER_FEATURES = torch.eye(3).reshape(1, 1, 3, 3)


def one_face(vertices, z=0.0, dtype=torch.float32):
    """(1, 1, 3) depths and (1, 1, 3, 2) image vertices of one triangle."""
    image = torch.tensor([[vertices]], dtype=dtype)
    return torch.full((1, 1, 3), z, dtype=dtype), image


def random_faces(generator, batch_size, num_faces, dtype=torch.float64):
    """Random triangles of mixed sizes around the screen (some partly or fully off screen)."""
    centres = torch.rand(batch_size, num_faces, 1, 2, generator=generator, dtype=dtype) * 3.0 - 1.5
    sizes = torch.rand(batch_size, num_faces, 1, 1, generator=generator, dtype=dtype) * 0.6 + 0.05
    offsets = torch.randn(batch_size, num_faces, 3, 2, generator=generator, dtype=dtype)
    face_vertices_image = centres + sizes * offsets
    face_vertices_z = -1.0 - 2.0 * torch.rand(batch_size, num_faces, 3, generator=generator, dtype=dtype)
    return face_vertices_z, face_vertices_image


def test_single_triangle_coverage_and_hand_interpolated_features():
    z, image = one_face(HALF_SCREEN)
    features, face_idx = rasterize(4, 4, z, image, CORNER_FEATURES)
    rows, cols = np.indices((4, 4))
    assert torch.equal(face_idx[0], torch.from_numpy(np.where(cols <= rows, 0, -1)))
    # Pixel (3, 0): centre (-0.75, -0.75). w1 = (x + 1) / 2, w2 = (y + 1) / 2, w0 = 1 - w1 - w2.
    assert torch.allclose(features[0, 3, 0], torch.tensor([0.75, 0.125, 0.125]))
    # Pixel (1, 1) lies on the hypotenuse at (-0.25, 0.25): w0 = 0.
    assert torch.allclose(features[0, 1, 1], torch.tensor([0.0, 0.375, 0.625]))
    assert torch.equal(features[0][face_idx[0] < 0], torch.zeros(6, 3))
    assert features.shape == (1, 4, 4, 3) and features.dtype == torch.float32 and face_idx.dtype == torch.long


def test_winding_does_not_matter():
    z, image = one_face(HALF_SCREEN)
    clockwise = image[:, :, [0, 2, 1]]
    features, face_idx = rasterize(4, 4, z, image, CORNER_FEATURES)
    features_cw, face_idx_cw = rasterize(4, 4, z, clockwise, CORNER_FEATURES[:, :, [0, 2, 1]])
    assert torch.equal(face_idx, face_idx_cw)
    assert torch.allclose(features, features_cw)


def test_edge_through_pixel_centres_is_inclusive_on_both_sides():
    # Two triangles sharing the vertical edge x = 0.25, which holds the centres of column 2 of a 4 x 4 image.
    image = torch.tensor([[[[-1.0, -1.0], [0.25, -1.0], [0.25, 1.0]], [[0.25, -1.0], [1.0, -1.0], [0.25, 1.0]]]])
    z = torch.full((1, 2, 3), -1.0)
    _, face_idx = rasterize(4, 4, z, image, torch.zeros(1, 2, 3, 1))
    # Both faces cover column 2 at equal depth: the lower index wins. Without face 0, face 1 covers it.
    assert torch.equal(face_idx[0, :, 2], torch.zeros(4, dtype=torch.long))
    _, face_idx_1 = rasterize(4, 4, z, image, torch.zeros(1, 2, 3, 1), valid_faces=torch.tensor([[False, True]]))
    # Face 1's hypotenuse x = 1 - 0.375 (y + 1) leaves column 3 (x = 0.75) only in the bottom row.
    assert torch.equal(face_idx_1[0, :, 2], torch.ones(4, dtype=torch.long))
    assert torch.equal(face_idx_1[0, :, 3], torch.tensor([-1, -1, -1, 1]))
    assert torch.equal(face_idx_1[0, :, :2], torch.full((4, 2), -1))


def test_nearer_face_wins_whatever_its_index():
    big = [[-1.0, -1.0], [3.0, -1.0], [-1.0, 3.0]]  # covers the whole screen
    small = [[-0.5, -0.5], [0.5, -0.5], [0.0, 0.5]]
    for near_first in (True, False):
        order = [small, big] if near_first else [big, small]
        depths = [-1.0, -2.0] if near_first else [-2.0, -1.0]
        image = torch.tensor([order])
        z = torch.tensor(depths).reshape(1, 2, 1).expand(1, 2, 3)
        features = torch.tensor(depths).reshape(1, 2, 1, 1).expand(1, 2, 3, 1)
        rendered, face_idx = rasterize(8, 8, z, image, features)
        small_index = 0 if near_first else 1
        # Pixel (3, 3) has centre (-0.125, 0.125): inside the small triangle.
        assert face_idx[0, 3, 3] == small_index and rendered[0, 3, 3, 0] == -1.0
        assert face_idx[0, 0, 0] == 1 - small_index and rendered[0, 0, 0, 0] == -2.0


def test_depth_is_interpolated_before_comparison():
    # Two faces over the whole screen: face 0 at constant depth -1.5, face 1 tilted with
    # z1 = -1.5 + x / 4, so face 1 is nearer right of x = 0 (between columns 1 and 2) only.
    image = torch.tensor([[[[-1.0, -1.0], [3.0, -1.0], [-1.0, 3.0]]] * 2])
    z = torch.tensor([[[-1.5, -1.5, -1.5], [-1.75, -0.75, -1.75]]])
    _, face_idx = rasterize(2, 4, z, image, torch.zeros(1, 2, 3, 1))
    assert torch.equal(face_idx[0], torch.tensor([[0, 0, 1, 1], [0, 0, 1, 1]]))


def test_equal_depth_tie_goes_to_lower_index():
    image = torch.tensor([[HALF_SCREEN, HALF_SCREEN, HALF_SCREEN]])
    z = torch.full((1, 3, 3), -2.0)
    _, face_idx = rasterize(4, 4, z, image, torch.zeros(1, 3, 3, 1), valid_faces=torch.tensor([[False, True, True]]))
    assert set(face_idx.unique().tolist()) == {-1, 1}


def test_valid_faces_and_degenerate_faces_are_not_drawn():
    degenerate = [[-1.0, -1.0], [0.0, 0.0], [1.0, 1.0]]  # zero area, through pixel centres
    image = torch.tensor([[HALF_SCREEN, degenerate], [HALF_SCREEN, degenerate]])
    z = torch.zeros(2, 2, 3)
    _, face_idx = rasterize(4, 4, z, image, torch.zeros(2, 2, 3, 1),
                            valid_faces=torch.tensor([[True, True], [False, True]]))
    assert (face_idx[0] == 0).sum() == 10 and (face_idx[0] == 1).sum() == 0
    assert torch.equal(face_idx[1], torch.full((4, 4), -1))


def test_off_screen_and_non_finite_faces_cover_nothing():
    image = torch.tensor([[[[5.0, 5.0], [6.0, 5.0], [5.0, 6.0]], [[0.0, 0.0], [float("nan"), 0.0], [0.0, 1.0]],
                           [[-1.0, -1.0], [1.0, -1.0], [float("inf"), 1.0]]]])
    features, face_idx = rasterize(6, 6, torch.zeros(1, 3, 3), image, torch.ones(1, 3, 3, 2))
    assert torch.equal(face_idx, torch.full((1, 6, 6), -1))
    assert torch.equal(features, torch.zeros(1, 6, 6, 2))


def test_features_as_list_give_a_tuple():
    z, image = one_face(HALF_SCREEN)
    colours, uvs = CORNER_FEATURES, torch.rand(1, 1, 3, 2)
    (image_colours, image_uvs), face_idx = rasterize(4, 4, z, image, [colours, uvs])
    expected_colours, _ = rasterize(4, 4, z, image, colours)
    expected_uvs, _ = rasterize(4, 4, z, image, uvs)
    assert image_colours.shape == (1, 4, 4, 3) and image_uvs.shape == (1, 4, 4, 2)
    assert torch.equal(image_colours, expected_colours) and torch.equal(image_uvs, expected_uvs)


def test_batch_items_are_independent():
    generator = torch.Generator().manual_seed(3)
    z, image = random_faces(generator, 3, 40, dtype=torch.float32)
    features = torch.rand(3, 40, 3, 2, generator=generator)
    batched, batched_idx = rasterize(10, 12, z, image, features)
    for b in range(3):
        single, single_idx = rasterize(10, 12, z[b:b + 1], image[b:b + 1], features[b:b + 1])
        assert torch.equal(batched_idx[b:b + 1], single_idx)
        assert torch.allclose(batched[b:b + 1], single)
    assert not torch.equal(batched_idx[0], batched_idx[1])


@pytest.mark.parametrize("max_pairs", [1 << 20, 500])
def test_matches_brute_force_reference_on_random_meshes(max_pairs):
    generator = torch.Generator().manual_seed(7)
    height, width, num_faces = 32, 48, 300
    z, image = random_faces(generator, 2, num_faces)
    features = torch.rand(2, num_faces, 3, 4, generator=generator, dtype=torch.float64)
    valid = torch.rand(2, num_faces, generator=generator) > 0.2
    rendered, face_idx = rasterize(height, width, z, image, features, valid_faces=valid, max_pairs=max_pairs)
    for b in range(2):
        expected, expected_idx = rasterize_reference(height, width, z[b].numpy(), image[b].numpy(),
                                                     features[b].numpy(), valid[b].numpy())
        np.testing.assert_array_equal(face_idx[b].numpy(), expected_idx)
        np.testing.assert_allclose(rendered[b].numpy(), expected, atol=1e-6)
    covered = (face_idx >= 0).float().mean()
    assert 0.3 < covered < 0.999  # the scene has both covered and background pixels


def pixel_centres(height, width, dtype=torch.float64):
    rows, cols = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    return torch.stack([(2 * cols + 1 - width) / width, (height - 2 * rows - 1) / height], -1).to(dtype).reshape(-1, 2)


def min_distance_to_edge_lines(image, height, width):
    """Smallest distance from any pixel centre to the line of any face edge."""
    centres = pixel_centres(height, width)
    starts = image.reshape(-1, 3, 2)
    ends = starts[:, [1, 2, 0]]
    direction = ends - starts
    normal = torch.stack([-direction[..., 1], direction[..., 0]], -1) / direction.norm(dim=-1, keepdim=True)
    distances = ((centres[:, None, None] - starts[None]) * normal[None]).sum(-1).abs()
    return distances.min().item()


def test_gradcheck_wrt_image_vertices_and_features():
    height, width = 6, 5
    image = torch.tensor([[[[-0.83, -0.71], [0.62, -0.93], [-0.47, 0.77]],
                           [[0.11, 0.05], [0.97, 0.21], [0.41, 0.93]]]], dtype=torch.float64)
    assert min_distance_to_edge_lines(image, height, width) > 1e-3
    z = torch.tensor([[[-2.0, -2.1, -1.9], [-1.5, -1.4, -1.6]]], dtype=torch.float64)
    features = torch.rand(1, 2, 3, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    image.requires_grad_(True)
    features.requires_grad_(True)
    _, face_idx = rasterize(height, width, z, image, features)
    assert set(face_idx.unique().tolist()) == {-1, 0, 1}
    assert torch.autograd.gradcheck(lambda v, f: rasterize(height, width, z, v, f)[0], (image, features))


def test_no_gradient_reaches_depth():
    z, image = one_face(HALF_SCREEN, dtype=torch.float64)
    z.requires_grad_(True)
    image.requires_grad_(True)
    features, _ = rasterize(4, 4, z, image, CORNER_FEATURES.double())
    grad_z, grad_image = torch.autograd.grad(features.sum(), (z, image), allow_unused=True)
    assert grad_z is None and grad_image is not None


def test_prepare_vertices_hand_computed():
    fovy = math.radians(90)
    vertices = torch.tensor([[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    faces = torch.tensor([[0, 1, 2]])
    proj = generate_perspective_projection(fovy)
    rot, trans = torch.eye(3)[None], torch.tensor([[0.0, 0.0, 2.0]])
    face_camera, face_image, normals = prepare_vertices(vertices, faces, proj, camera_rot=rot, camera_trans=trans)
    assert torch.allclose(face_camera, torch.tensor([[[[0.0, 0.0, -2.0], [1.0, 0.0, -2.0], [0.0, 1.0, -2.0]]]]))
    assert torch.allclose(face_image, torch.tensor([[[[0.0, 0.0], [0.5, 0.0], [0.0, 0.5]]]]))
    assert torch.allclose(normals, torch.tensor([[[0.0, 0.0, 1.0]]]))


def test_prepare_vertices_transform_matrix_equals_rotation_translation():
    generator = torch.Generator().manual_seed(5)
    vertices = torch.randn(2, 8, 3, generator=generator)
    faces = torch.tensor([[0, 1, 2], [2, 3, 4], [4, 5, 6], [6, 7, 0], [1, 3, 5], [7, 2, 5]])
    positions = torch.tensor([[0.0, 1.0, 4.0], [3.0, 0.5, 1.0]])
    matrix = generate_transformation_matrix(positions, torch.zeros(1, 3), torch.tensor([[0.0, 1.0, 0.0]]))
    rot, trans = matrix[:, :3].transpose(1, 2), positions
    proj = torch.stack([generate_perspective_projection(0.8), generate_perspective_projection(1.1)])
    by_matrix = prepare_vertices(vertices, faces, proj, camera_transform=matrix)
    by_rot = prepare_vertices(vertices, faces, proj, camera_rot=rot, camera_trans=trans)
    for a, b in zip(by_matrix, by_rot):
        assert torch.allclose(a, b, atol=1e-5)
    assert torch.allclose(by_matrix[2].norm(dim=-1)[by_matrix[2].norm(dim=-1) > 0], torch.tensor(1.0))


@pytest.mark.parametrize("kwargs, message", [
    (dict(height=0), "height"),
    (dict(face_vertices_image=torch.zeros(1, 2, 3)), "face_vertices_image"),
    (dict(face_vertices_z=torch.zeros(1, 3, 3)), "face_vertices_z"),
    (dict(face_features=torch.zeros(1, 2, 3)), "face_features"),
    (dict(face_features=[torch.zeros(1, 2, 3, 1), torch.zeros(1, 2, 3, 1, dtype=torch.float64)]), "dtype"),
    (dict(valid_faces=torch.ones(1, 2)), "valid_faces"),
    (dict(multiplier=0), "multiplier"),
    (dict(eps=-1.0), "eps"),
])
def test_bad_arguments_raise_render_error(kwargs, message):
    arguments = dict(height=4, width=4, face_vertices_z=torch.zeros(1, 2, 3),
                     face_vertices_image=torch.zeros(1, 2, 3, 2), face_features=torch.zeros(1, 2, 3, 1))
    arguments.update(kwargs)
    with pytest.raises(RenderError, match=message):
        rasterize(**arguments)


def test_prepare_vertices_bad_camera_raises():
    vertices, faces = torch.zeros(1, 3, 3), torch.tensor([[0, 1, 2]])
    with pytest.raises(RenderError, match="camera_transform"):
        prepare_vertices(vertices, faces, generate_perspective_projection(1.0))
    with pytest.raises(RenderError, match="faces index"):
        prepare_vertices(vertices, torch.tensor([[0, 1, 3]]), generate_perspective_projection(1.0),
                         camera_transform=torch.zeros(1, 4, 3))


def test_accelerator_matches_cpu(accelerator):
    generator = torch.Generator().manual_seed(11)
    z, image = random_faces(generator, 2, 200, dtype=torch.float32)
    features = torch.rand(2, 200, 3, 3, generator=generator)
    expected, expected_idx = rasterize(40, 56, z, image, features)
    rendered, face_idx = rasterize(40, 56, z.to(accelerator), image.to(accelerator), features.to(accelerator))
    assert rendered.device.type == accelerator and face_idx.device.type == accelerator
    assert (face_idx.cpu() != expected_idx).float().mean() < 1e-3
    same = face_idx.cpu() == expected_idx
    assert torch.allclose(rendered.cpu()[same], expected[same], atol=1e-5)


def test_binning_enumerates_every_pixel_of_every_enlarged_box_once():
    generator = torch.Generator().manual_seed(9)
    height, width, num_faces, margin = 13, 17, 50, 0.05
    _, image = random_faces(generator, 2, num_faces)
    boxes = pixel_boxes(image, height, width, margin=margin)
    mask = torch.rand(2 * num_faces, generator=generator) > 0.3
    enumerated = []
    for grid in face_grids(boxes, num_faces, height, width, torch.float64, face_mask=mask, max_pairs=300):
        cells = grid.valid.nonzero()
        enumerated += list(zip(grid.face[cells[:, 0]].tolist(), grid.pixel[grid.valid].tolist()))
    assert len(enumerated) == len(set(enumerated))
    centres = pixel_centres(height, width)
    lower, upper = image.amin(dim=2).reshape(-1, 2) - margin, image.amax(dim=2).reshape(-1, 2) + margin
    expected = set()
    for face in mask.nonzero().squeeze(1).tolist():
        inside = ((centres >= lower[face]) & (centres <= upper[face])).all(dim=1).nonzero().squeeze(1)
        expected |= {(face, (face // num_faces) * height * width + pixel) for pixel in inside.tolist()}
    assert expected and expected <= set(enumerated)
    # Boxes are widened by a hundredth of a pixel against rounding: extras lie within that of a box.
    slack = torch.tensor([0.02 / width, 0.02 / height], dtype=torch.float64)
    for face, pixel in set(enumerated) - expected:
        centre = centres[pixel % (height * width)]
        assert ((centre >= lower[face] - slack) & (centre <= upper[face] + slack)).all()


def test_count_in_boxes_matches_a_direct_count():
    generator = torch.Generator().manual_seed(10)
    _, image = random_faces(generator, 2, 30)
    pixel_mask = torch.rand(2, 9, 11, generator=generator) > 0.5
    boxes = pixel_boxes(image, 9, 11, margin=0.1)
    counts = count_in_boxes(pixel_mask, boxes)
    for face in range(60):
        top, left = boxes.first_row[face].item(), boxes.first_col[face].item()
        window = pixel_mask[face // 30, top:top + boxes.num_rows[face].item(), left:left + boxes.num_cols[face].item()]
        assert counts[face].item() == window.sum().item()


def test_shared_edges_through_pixel_centres_leave_no_crack():
    # A 4 x 4 grid of quads over the screen, each split along its diagonal; at 8 x 8 every diagonal
    # passes exactly through pixel centres, which both neighbours cover at equal depth.
    ticks = torch.linspace(-1, 1, 5)
    corners = torch.stack(torch.meshgrid(ticks, ticks, indexing="xy"), -1).reshape(-1, 2)
    faces = []
    for row in range(4):
        for col in range(4):
            a, b, c, d = row * 5 + col, row * 5 + col + 1, (row + 1) * 5 + col, (row + 1) * 5 + col + 1
            faces += [[a, b, d], [a, d, c]]  # lower-right and upper-left halves of the quad
    image = corners[torch.tensor(faces)].unsqueeze(0)
    _, face_idx = rasterize(8, 8, torch.zeros(1, 32, 3), image, torch.zeros(1, 32, 3, 1))
    assert (face_idx >= 0).all()
    # Quad (0, 0) spans x, y in [-1, -0.5]: bottom-left of the image, rows 6-7, cols 0-1. Its diagonal
    # holds the centres of pixels (7, 0) and (6, 1): ties go to face 0; (6, 0) is above it, in face 1.
    assert face_idx[0, 7, 0] == 0 and face_idx[0, 6, 1] == 0 and face_idx[0, 7, 1] == 0
    assert face_idx[0, 6, 0] == 1


def perspective_reference(height, width, face_z, face_xy, face_features):
    """Float64 brute force with interpolation in 1/z: screen-space barycentrics b_i of the pixel centre,
    then weights (b_i / z_i) / sum_j (b_j / z_j); the nearest surface point (largest z = 1 / sum b_i / z_i)
    wins, on a tie the lower face index. Faces not wholly in front of the camera (z < 0) are skipped."""
    from render_reference import barycentric, pixel_center

    in_front = (face_z < 0).all(axis=1)
    features = np.zeros((height, width, face_features.shape[-1]))
    face_idx = np.full((height, width), -1)
    for row in range(height):
        for col in range(width):
            screen = barycentric(face_xy, *pixel_center(row, col, height, width))
            inside = in_front & (screen >= 0).all(axis=1)
            if not inside.any():
                continue
            with np.errstate(divide="ignore", invalid="ignore"):
                inverse_z = (screen / face_z).sum(axis=1)
                depth = np.where(inside, 1.0 / inverse_z, -np.inf)
            winner = int(np.argmax(depth))
            weights = screen[winner] / face_z[winner] / inverse_z[winner]
            face_idx[row, col] = winner
            features[row, col] = weights @ face_features[winner]
    return features, face_idx


@pytest.mark.parametrize("max_pairs", [1 << 20, 200])
def test_perspective_correct_matches_a_one_over_z_brute_force(max_pairs):
    generator = torch.Generator().manual_seed(21)
    height, width, num_faces = 24, 20, 120
    z, image = random_faces(generator, 2, num_faces)
    z = -0.2 - 8.0 * torch.rand(2, num_faces, 3, generator=generator, dtype=torch.float64)  # strongly slanted faces
    z[0, :10, 0] = 0.5  # partly behind the camera: never drawn with perspective_correct
    features = torch.rand(2, num_faces, 3, 3, generator=generator, dtype=torch.float64)
    rendered, face_idx = rasterize(height, width, z, image, features, perspective_correct=True, max_pairs=max_pairs)
    screen_space, _ = rasterize(height, width, z, image, features)
    for b in range(2):
        expected, expected_idx = perspective_reference(height, width, z[b].numpy(), image[b].numpy(),
                                                       features[b].numpy())
        np.testing.assert_array_equal(face_idx[b].numpy(), expected_idx)
        np.testing.assert_allclose(rendered[b].numpy(), expected, atol=1e-9)
    assert not set(face_idx[0].unique().tolist()) & set(range(10))
    covered = face_idx >= 0
    assert covered.float().mean() > 0.3
    assert (rendered - screen_space)[covered].abs().max() > 0.05  # the option changes the result


def test_perspective_correct_depth_is_the_surface_point_depth():
    # A triangle slanting away from z = -1 to z = -5; it projects onto the lower-left half of the screen.
    corners = torch.tensor([[-1.0, -1.0, -1.0], [1.0 * 5, -1.0 * 5, -5.0], [-1.0, 1.0, -1.0]], dtype=torch.float64)
    image = (corners[:, :2] / -corners[:, 2:]).reshape(1, 1, 3, 2)
    z = corners[:, 2].reshape(1, 1, 3)
    rendered, face_idx = rasterize(8, 8, z, image, z.unsqueeze(-1), perspective_correct=True)
    # The ray through image point (u, v) is t (u, v, -1); it meets the plane n . p = n . corner_0 at
    # t = (n . corner_0) / (n . (u, v, -1)), where the surface's depth is z = -t.
    normal = torch.linalg.cross(corners[1] - corners[0], corners[2] - corners[0])
    offset = normal @ corners[0]
    for row in range(8):
        for col in range(8):
            if face_idx[0, row, col] < 0:
                continue
            u, v = (2 * col + 1 - 8) / 8, (8 - 2 * row - 1) / 8
            t = offset / (normal @ torch.tensor([u, v, -1.0], dtype=torch.float64))
            assert rendered[0, row, col, 0].item() == pytest.approx(-t.item(), rel=1e-9)
    assert (face_idx >= 0).sum() >= 10


def test_gradcheck_perspective_correct_wrt_vertices_depths_and_features():
    height, width = 6, 5
    image = torch.tensor([[[[-0.83, -0.71], [0.62, -0.93], [-0.47, 0.77]],
                           [[0.11, 0.05], [0.97, 0.21], [0.41, 0.93]]]], dtype=torch.float64)
    z = torch.tensor([[[-2.0, -4.1, -1.9], [-1.5, -1.4, -3.6]]], dtype=torch.float64)
    features = torch.rand(1, 2, 3, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    inputs = tuple(t.clone().requires_grad_(True) for t in (image, z, features))
    assert torch.autograd.gradcheck(
        lambda v, d, f: rasterize(height, width, d, v, f, perspective_correct=True)[0], inputs)


def test_kaolin_backend_keyword():
    z, image = one_face(HALF_SCREEN)
    expected, expected_idx = rasterize(4, 4, z, image, CORNER_FEATURES)
    rendered, face_idx = rasterize(4, 4, z, image, CORNER_FEATURES, None, None, None, "cuda")  # Kaolin's order
    assert torch.equal(rendered, expected) and torch.equal(face_idx, expected_idx)
    rendered, face_idx = rasterize(4, 4, z, image, CORNER_FEATURES, backend="cpu")  # a user's cuda -> cpu edit
    assert torch.equal(rendered, expected) and torch.equal(face_idx, expected_idx)
    for backend in ("nvdiffrast", "nvdiffrast_fwd"):  # served by this rasterizer, with a one-time warning
        rasterize_module._warned_backends.discard(backend)
        with pytest.warns(UserWarning, match=f"{backend}.*own"):
            rendered, face_idx = rasterize(4, 4, z, image, CORNER_FEATURES, backend=backend)
        assert torch.equal(rendered, expected) and torch.equal(face_idx, expected_idx)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            rasterize(4, 4, z, image, CORNER_FEATURES, backend=backend)  # no second warning
    with pytest.raises(RenderError, match="backend.*opengl"):
        rasterize(4, 4, z, image, CORNER_FEATURES, backend="opengl")


def test_prepare_vertices_takes_kaolin_unbatched_camera_forms():
    """The bbox tutorial's call: one (4, 3) camera_transform and a (3, 1) camera_proj for a batch of 2."""
    torch.manual_seed(0)
    vertices = torch.randn(2, 5, 3, dtype=torch.float64)
    faces = torch.tensor([[0, 1, 2], [2, 3, 4]])
    transform = generate_transformation_matrix(torch.tensor([[1.0, 2.0, 4.0]], dtype=torch.float64),
                                               torch.zeros(1, 3, dtype=torch.float64),
                                               torch.tensor([[0.0, 1.0, 0.0]], dtype=torch.float64))
    proj = generate_perspective_projection(0.8, dtype=torch.float64)
    batched = prepare_vertices(vertices, faces, proj.expand(2, 3, 1), camera_transform=transform.expand(2, 4, 3))
    unbatched = prepare_vertices(vertices, faces, proj, camera_transform=transform[0])
    for got, want in zip(unbatched, batched):
        torch.testing.assert_close(got, want)
    # and by hand: camera space is [p, 1] @ T for each vertex
    expected = torch.cat([vertices, torch.ones(2, 5, 1, dtype=torch.float64)], dim=-1) @ transform[0]
    torch.testing.assert_close(unbatched[0][:, 1, 2], expected[:, 4])  # face 1, corner 2 = vertex 4
    with pytest.raises(RenderError, match="camera_transform"):
        prepare_vertices(vertices, faces, proj, camera_transform=transform.expand(3, 4, 3))
