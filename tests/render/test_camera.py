"""Kaolin legacy camera functions, against hand-computed cameras and an independent NumPy look-at."""
import math

import numpy as np
import pytest
import torch

from kaolin_pipeline.errors import RenderError
from kaolin_pipeline.render.camera import (generate_perspective_projection, generate_rotate_translate_matrices,
                                           generate_transformation_matrix, perspective_camera,
                                           rotate_translate_points)

UP = torch.tensor([[0.0, 1.0, 0.0]])
ORIGIN = torch.zeros(1, 3)


def numpy_look_at(position, target, up):
    """World -> camera rotation (rows: right, up, backward) built by hand with NumPy."""
    backward = np.asarray(position, float) - np.asarray(target, float)
    backward /= np.linalg.norm(backward)
    right = np.cross(up, backward)
    right /= np.linalg.norm(right)
    return np.stack([right, np.cross(backward, right), backward])


def test_perspective_projection_values():
    fovy = math.radians(60)
    proj = generate_perspective_projection(fovy, ratio=2.0)
    assert proj.shape == (3, 1) and proj.dtype == torch.float32
    focal = 1 / math.tan(math.radians(30))
    assert torch.allclose(proj.squeeze(1), torch.tensor([focal / 2, focal, -1.0]))
    assert generate_perspective_projection(fovy, dtype=torch.float64).dtype == torch.float64


def test_perspective_projection_tensor_fovy_is_differentiable():
    fovy = torch.tensor(math.radians(50), dtype=torch.float64, requires_grad=True)
    proj = generate_perspective_projection(fovy)
    assert proj.dtype == torch.float64
    proj[1, 0].backward()
    # d/dfovy of cot(fovy / 2) = -1 / (2 sin²(fovy / 2))
    assert fovy.grad.item() == pytest.approx(-1 / (2 * math.sin(fovy.item() / 2) ** 2))


def test_camera_on_z_axis_maps_origin_to_centre_and_fov_edge_to_one():
    fovy = math.radians(40)
    rot, trans = generate_rotate_translate_matrices(torch.tensor([[0.0, 0.0, 3.0]]), ORIGIN, UP)
    assert torch.allclose(rot, torch.eye(3)[None])
    assert torch.allclose(trans, torch.tensor([[0.0, 0.0, 3.0]]))
    half_height = 3 * math.tan(fovy / 2)
    points = torch.tensor([[[0.0, 0.0, 0.0], [0.0, half_height, 0.0], [1.5 * half_height, 0.0, 0.0],
                            [0.0, -half_height, 0.0]]])
    camera_points = rotate_translate_points(points, rot, trans)
    assert torch.allclose(camera_points[0, 0], torch.tensor([0.0, 0.0, -3.0]))
    image = perspective_camera(camera_points, generate_perspective_projection(fovy, ratio=1.5))
    expected = torch.tensor([[[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, -1.0]]])
    assert torch.allclose(image, expected, atol=1e-6)


def test_camera_on_x_axis_sees_up_as_up_and_minus_z_as_right():
    rot, trans = generate_rotate_translate_matrices(torch.tensor([[3.0, 0.0, 0.0]]), ORIGIN, UP)
    camera_points = rotate_translate_points(torch.tensor([[[0.0, 1.0, 0.0], [0.0, 0.0, -1.0]]]), rot, trans)
    # Looking from +x towards the origin, world +y is up and world -z is to the right.
    assert torch.allclose(camera_points, torch.tensor([[[0.0, 1.0, -3.0], [1.0, 0.0, -3.0]]]), atol=1e-6)


def test_rotation_matches_numpy_look_at_and_is_proper():
    generator = torch.Generator().manual_seed(0)
    positions = torch.randn(5, 3, generator=generator, dtype=torch.float64) * 3
    targets = torch.randn(5, 3, generator=generator, dtype=torch.float64) * 0.3
    rot, trans = generate_rotate_translate_matrices(positions, targets, UP.double())
    for b in range(5):
        expected = numpy_look_at(positions[b].numpy(), targets[b].numpy(), [0.0, 1.0, 0.0])
        np.testing.assert_allclose(rot[b].numpy(), expected, atol=1e-12)
    assert torch.allclose(rot @ rot.transpose(1, 2), torch.eye(3, dtype=torch.float64).expand(5, 3, 3), atol=1e-12)
    assert torch.allclose(torch.linalg.det(rot), torch.ones(5, dtype=torch.float64))
    assert torch.equal(trans, positions)
    # The target lies straight ahead, on the camera's -z axis.
    target_in_camera = rotate_translate_points(targets.unsqueeze(1), rot, trans)[:, 0]
    assert torch.allclose(target_in_camera[:, :2], torch.zeros(5, 2, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(target_in_camera[:, 2], -(positions - targets).norm(dim=1))


def test_transformation_matrix_agrees_with_rotate_translate():
    generator = torch.Generator().manual_seed(1)
    positions = torch.randn(4, 3, generator=generator) * 2 + torch.tensor([0.0, 0.0, 4.0])
    targets = torch.randn(4, 3, generator=generator) * 0.2
    points = torch.randn(4, 10, 3, generator=generator)
    matrix = generate_transformation_matrix(positions, targets, UP)
    assert matrix.shape == (4, 4, 3)
    rot, trans = generate_rotate_translate_matrices(positions, targets, UP)
    via_matrix = torch.nn.functional.pad(points, (0, 1), value=1.0) @ matrix
    assert torch.allclose(via_matrix, rotate_translate_points(points, rot, trans.unsqueeze(-1)), atol=1e-5)


def test_batch_one_inputs_broadcast():
    positions = torch.tensor([[0.0, 0.0, 2.0], [2.0, 0.0, 0.0]])
    rot, trans = generate_rotate_translate_matrices(positions, ORIGIN, UP)
    assert rot.shape == (2, 3, 3) and trans.shape == (2, 3)
    assert generate_transformation_matrix(positions, ORIGIN, UP).shape == (2, 4, 3)


def test_batched_projection():
    points = torch.tensor([[[1.0, 1.0, -2.0]], [[1.0, 1.0, -2.0]]])
    proj = torch.stack([generate_perspective_projection(math.radians(90)),
                        generate_perspective_projection(math.radians(60))])
    image = perspective_camera(points, proj)
    assert torch.allclose(image[0, 0], torch.tensor([0.5, 0.5]))
    assert torch.allclose(image[1, 0], torch.full((2,), 0.5 / math.tan(math.radians(30))))


@pytest.mark.parametrize("call, message", [
    (lambda: generate_rotate_translate_matrices(ORIGIN, ORIGIN, UP), "look_at coincides"),
    (lambda: generate_transformation_matrix(torch.tensor([[0.0, 2.0, 0.0]]), ORIGIN, UP), "parallel"),
    (lambda: generate_rotate_translate_matrices(torch.zeros(3), ORIGIN, UP), "camera_position"),
    (lambda: generate_transformation_matrix(torch.ones(2, 3), torch.zeros(3, 3), UP), "common batch size"),
    (lambda: generate_perspective_projection(4.0), "fovyangle"),
    (lambda: generate_perspective_projection(1.0, ratio=0), "ratio"),
    (lambda: perspective_camera(torch.ones(1, 4, 3), torch.ones(3)), "camera_proj"),
    (lambda: rotate_translate_points(torch.ones(4, 3), torch.eye(3)[None], torch.zeros(1, 3)), "points"),
])
def test_bad_arguments_raise_render_error(call, message):
    with pytest.raises(RenderError, match=message):
        call()
