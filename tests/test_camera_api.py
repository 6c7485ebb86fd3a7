"""Kaolin's current camera API (render/camera/): matrices, rays, paths and gradients against hand-built references."""
import copy
import math

import numpy as np
import pytest
import torch

from kaolin_pipeline.errors import RenderError
from kaolin_pipeline.render.camera import (
    Camera, CameraExtrinsics, OrthographicIntrinsics, PinholeIntrinsics, blender_coords, camera_path_generator,
    generate_centered_custom_resolution_pixel_coords, generate_centered_pixel_coords, generate_ortho_rays,
    generate_pinhole_rays, generate_rays, loop_camera_path_generator,
)

F64 = torch.float64


def hand_look_at(eye, at, up):
    """World-to-camera 4x4 by the textbook gluLookAt recipe, in NumPy float64."""
    eye, at, up = (np.asarray(v, dtype=np.float64) for v in (eye, at, up))
    f = (at - eye) / np.linalg.norm(at - eye)
    s = np.cross(f, up)
    s /= np.linalg.norm(s)
    u = np.cross(s, f)
    view = np.eye(4)
    view[0, :3], view[1, :3], view[2, :3] = s, u, -f
    view[:3, 3] = -view[:3, :3] @ eye
    return view


def hand_gl_perspective(fovy, aspect, near, far):
    """gluPerspective's matrix."""
    f = 1.0 / math.tan(fovy / 2)
    return np.array([[f / aspect, 0, 0, 0], [0, f, 0, 0],
                     [0, 0, (far + near) / (near - far), 2 * far * near / (near - far)], [0, 0, -1, 0]])


def test_view_and_projection_matrices_match_glu_look_at_and_perspective():
    eye, at, up = [4.0, 3.0, 2.0], [0.5, -0.25, 0.0], [0.0, 1.0, 0.0]
    cam = Camera.from_args(eye=torch.tensor(eye), at=torch.tensor(at), up=torch.tensor(up), fov=math.radians(40),
                           width=320, height=200, near=0.1, far=50.0, dtype=F64)
    assert cam.lens_type == "pinhole" and cam.dtype == F64 and len(cam) == 1
    view = hand_look_at(eye, at, up)
    proj = hand_gl_perspective(math.radians(40), 320 / 200, 0.1, 50.0)
    np.testing.assert_allclose(cam.view_matrix()[0].numpy(), view, atol=1e-12)
    np.testing.assert_allclose(cam.inv_view_matrix()[0].numpy(), np.linalg.inv(view), atol=1e-12)
    np.testing.assert_allclose(cam.projection_matrix()[0].numpy(), proj, atol=1e-12)
    np.testing.assert_allclose(cam.view_projection_matrix()[0].numpy(), proj @ view, atol=1e-12)
    np.testing.assert_allclose(cam.cam_pos()[0, :, 0].numpy(), eye, atol=1e-12)
    forward = (np.asarray(at) - eye) / np.linalg.norm(np.asarray(at) - eye)
    np.testing.assert_allclose(cam.cam_forward()[0, :, 0].numpy(), -forward, atol=1e-12)  # +z points backwards
    # transform = NDC of the projected points
    points = torch.tensor([[0.3, 0.2, -0.1], [1.0, 0.0, 0.5]], dtype=F64)
    clip = np.c_[points.numpy(), np.ones(2)] @ (proj @ view).T
    np.testing.assert_allclose(cam.transform(points).numpy(), clip[:, :3] / clip[:, 3:], atol=1e-12)


def test_the_other_extrinsics_constructors_agree_with_look_at():
    eye, at, up = torch.tensor([1.0, 2.0, 3.0], dtype=F64), torch.zeros(3, dtype=F64), torch.tensor([0, 1.0, 0], dtype=F64)
    reference = CameraExtrinsics.from_lookat(eye, at, up, dtype=F64)
    pose = CameraExtrinsics.from_camera_pose(cam_pos=eye, cam_dir=reference.R[0].T, dtype=F64)
    matrix = CameraExtrinsics.from_view_matrix(reference.view_matrix()[0], dtype=F64)
    for other in (pose, matrix):
        torch.testing.assert_close(other.view_matrix(), reference.view_matrix())


def test_orthographic_projection_maps_its_box_to_the_unit_cube():
    intr = OrthographicIntrinsics.from_frustum(width=400, height=200, fov_distance=2.0, near=1.0, far=9.0, dtype=F64)
    corners = torch.tensor([[4.0, 2.0, -1.0], [-4.0, -2.0, -9.0]], dtype=F64)  # x: fov_distance * W / H
    torch.testing.assert_close(intr.transform(corners)[0], torch.tensor([[1.0, 1.0, -1.0], [-1.0, -1.0, 1.0]], dtype=F64))


def test_pinhole_rays_by_hand():
    # 4 x 2 image, focal 2 px: pixel (row 0, col 3) has its centre at (3.5, 0.5) -> offsets (1.5, 0.5) px from the
    # centre (2, 1), i.e. camera-space direction (1.5 / 2, 0.5 / 2, -1) (y up), normalised.
    cam = Camera.from_args(view_matrix=torch.eye(4, dtype=F64), width=4, height=2, focal_x=2.0, dtype=F64)
    origins, dirs = generate_pinhole_rays(cam)
    assert origins.shape == dirs.shape == (8, 3)
    torch.testing.assert_close(origins, torch.zeros(8, 3, dtype=F64))
    expected = torch.tensor([0.75, 0.25, -1.0], dtype=F64)
    torch.testing.assert_close(dirs[3], expected / expected.norm())
    expected = torch.tensor([-0.75, -0.25, -1.0], dtype=F64)  # row 1, col 0
    torch.testing.assert_close(dirs[4], expected / expected.norm())
    # a moved camera: world rays start at its position and turn with it
    cam = Camera.from_args(eye=torch.tensor([0.0, 0, 5]), at=torch.zeros(3), up=torch.tensor([0.0, 1, 0]),
                           width=4, height=2, focal_x=2.0, dtype=F64)
    origins, dirs = generate_rays(cam)
    torch.testing.assert_close(origins, torch.tensor([[0.0, 0.0, 5.0]], dtype=F64).expand(8, 3))
    torch.testing.assert_close(dirs[3], torch.tensor([0.75, 0.25, -1.0], dtype=F64) / math.sqrt(0.75 ** 2 + 0.25 ** 2 + 1))


def test_ortho_rays_by_hand():
    cam = Camera.from_args(eye=torch.tensor([0.0, 0, 3]), at=torch.zeros(3), up=torch.tensor([0.0, 1, 0]),
                           width=4, height=2, fov_distance=1.0, dtype=F64)
    assert cam.lens_type == "ortho"
    origins, dirs = generate_rays(cam)
    torch.testing.assert_close(dirs, torch.tensor([[0.0, 0.0, -1.0]], dtype=F64).expand(8, 3))
    # pixel (row 0, col 3): ndc x = 2 * 3.5 / 4 - 1 = 0.75 -> 0.75 * fov_distance * W / H = 1.5; y = 0.5 (up)
    torch.testing.assert_close(origins[3], torch.tensor([1.5, 0.5, 3.0], dtype=F64))
    custom = generate_centered_custom_resolution_pixel_coords(4, 2, 2, 1)
    origins_2, _ = generate_ortho_rays(cam, custom)
    torch.testing.assert_close(origins_2, torch.tensor([[-1.0, 0.0, 3.0], [1.0, 0.0, 3.0]], dtype=F64))


def test_pixel_grids():
    pixel_y, pixel_x = generate_centered_pixel_coords(3, 2)
    torch.testing.assert_close(pixel_x, torch.tensor([[0.5, 1.5, 2.5]] * 2))
    torch.testing.assert_close(pixel_y, torch.tensor([[0.5] * 3, [1.5] * 3]))
    pixel_y, pixel_x = generate_centered_custom_resolution_pixel_coords(4, 4, 2, 1)
    torch.testing.assert_close(pixel_x, torch.tensor([[1.0, 3.0]]))
    torch.testing.assert_close(pixel_y, torch.tensor([[2.0, 2.0]]))


def test_batched_cameras_refuse_rays_and_from_args_refuses_ambiguity():
    cam = Camera.from_args(eye=torch.ones(2, 3), at=torch.zeros(2, 3), up=torch.tensor([[0.0, 1, 0]] * 2),
                           width=8, height=8, fov=1.0)
    with pytest.raises(RenderError, match="single camera"):
        generate_rays(cam)
    with pytest.raises(RenderError, match="extrinsics"):
        Camera.from_args(width=8, height=8, fov=1.0)


def test_batching_indexing_and_device_conversion():
    one = Camera.from_args(eye=[4.0, 4.0, 4.0], at=[0.0, 0.0, 0.0], up=[0.0, 1.0, 0.0], fov=0.5, width=64, height=32)
    two = Camera.from_args(eye=[1.0, 0.0, 4.0], at=[0.0, 0.0, 0.0], up=[0.0, 1.0, 0.0], fov=0.5, width=64, height=32)
    both = Camera.cat((one, two))
    assert len(both) == 2
    torch.testing.assert_close(both[1].view_matrix(), two.view_matrix())
    assert torch.allclose(both[0], one) and not torch.allclose(both[1], one)
    assert both.double().dtype == F64 and both.half().focal_x.dtype == torch.float16
    low = copy.deepcopy(one)
    low.width, low.height = 16, 8  # keeps the field of view: focal scales with the size
    torch.testing.assert_close(low.fov_x, one.fov_x)
    torch.testing.assert_close(low.focal_y, one.focal_y / 4)
    assert one.width == 64  # the copy owns its size


def test_moves_and_rotations():
    cam = Camera.from_args(eye=torch.tensor([0.0, 0.0, 5.0], dtype=F64), at=torch.zeros(3, dtype=F64),
                           up=torch.tensor([0.0, 1.0, 0.0], dtype=F64), fov=1.0, width=10, height=10, dtype=F64)
    cam.move_forward(2.0)  # along the camera's +z, i.e. backwards
    cam.move_right(1.0)
    cam.move_up(-0.5)
    torch.testing.assert_close(cam.cam_pos()[0, :, 0], torch.tensor([1.0, -0.5, 7.0], dtype=F64))
    # Kaolin's yaw: view <- Ry view with Ry = [[c, 0, -s], [0, 1, 0], [s, 0, c]]; a quarter turn maps the camera's
    # right axis R^T Ry^T e_x = R^T (0, 0, -1) onto its old viewing direction (world -z here); it stays in place.
    cam.rotate(yaw=math.pi / 2)
    torch.testing.assert_close(cam.cam_pos()[0, :, 0], torch.tensor([1.0, -0.5, 7.0], dtype=F64))
    torch.testing.assert_close(cam.cam_right()[0, :, 0], torch.tensor([0.0, 0.0, -1.0], dtype=F64))
    torch.testing.assert_close(cam.cam_up()[0, :, 0], torch.tensor([0.0, 1.0, 0.0], dtype=F64))
    cam.change_coordinate_system(blender_coords())
    torch.testing.assert_close(cam.basis_change_matrix, blender_coords().to(F64))
    cam.reset_coordinate_system()
    torch.testing.assert_close(cam.basis_change_matrix, torch.eye(3, dtype=F64))


def test_gradcheck_through_extrinsics_and_intrinsics():
    eye = torch.tensor([[2.0, 1.0, 3.0]], dtype=F64, requires_grad=True)
    focal = torch.tensor(30.0, dtype=F64, requires_grad=True)
    points = torch.tensor([[0.1, 0.2, 0.3], [-0.4, 0.1, 0.0]], dtype=F64)

    def project(eye, focal):
        ext = CameraExtrinsics.from_lookat(eye, torch.zeros(1, 3, dtype=F64), torch.tensor([[0.0, 1, 0]], dtype=F64),
                                           dtype=F64, requires_grad=True)
        intr = PinholeIntrinsics.from_focal(64, 48, 1.0, dtype=F64)
        intr.params = torch.stack([torch.zeros((), dtype=F64), torch.zeros((), dtype=F64), focal, focal]).unsqueeze(0)
        return Camera(ext, intr).transform(points)

    assert torch.autograd.gradcheck(project, (eye, focal))
    # the 6-DoF backend: gradients reach its parameters through view_matrix()
    ext = CameraExtrinsics.from_lookat(eye.detach(), torch.zeros(3, dtype=F64), torch.tensor([0.0, 1, 0], dtype=F64),
                                       dtype=F64, requires_grad=True)
    assert ext.backend_name == "matrix_6dof_rotation"
    params = ext.parameters().detach().clone().requires_grad_(True)

    def view_of(params):
        ext._backend.params = params
        return ext.view_matrix()

    assert torch.autograd.gradcheck(view_of, (params,))


def test_trajectory_endpoints_are_the_key_cameras():
    keys = [Camera.from_args(eye=eye, at=[0.0, 0.0, 0.0], up=[0.0, 1.0, 0.0], fov=np.deg2rad(fov), width=64, height=64,
                             dtype=F64)
            for eye, fov in (([4.0, 4.0, 4.0], 45), ([8.0, 4.0, 4.0], 50), ([4.0, 8.0, 4.0], 40), ([4.0, 4.0, 8.0], 45))]
    path = list(camera_path_generator(keys, frames_between_cameras=3, interpolation="catmull_rom"))
    assert len(path) == 3 * 4 + 1
    for i, key in enumerate(keys):  # every 4th camera is a key camera
        torch.testing.assert_close(path[4 * i].view_matrix(), key.view_matrix(), atol=1e-9, rtol=0)
        torch.testing.assert_close(path[4 * i].fov_y, key.fov_y)
    loop = list(loop_camera_path_generator(keys[:2], frames_between_cameras=2, interpolation="polynomial", repeat=1))
    torch.testing.assert_close(loop[0].cam_pos(), keys[0].cam_pos(), atol=1e-9, rtol=0)
    torch.testing.assert_close(loop[3].cam_pos(), keys[1].cam_pos(), atol=1e-9, rtol=0)
    # in between, the smoothstep is symmetric: the middle camera of two keys sits at the middle position
    middle = list(loop_camera_path_generator(keys[:2], frames_between_cameras=1, interpolation="polynomial", repeat=1))[1]
    torch.testing.assert_close(middle.t, (keys[0].t + keys[1].t) / 2, atol=1e-9, rtol=0)
