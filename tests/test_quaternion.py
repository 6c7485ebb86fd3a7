"""Quaternions, rotation matrices and rigid transforms (``ops.quaternion``, ``ops.rigid``) against scipy's Rotation."""
import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops import quaternion as q
from kaolin_pipeline.ops import rigid


@pytest.fixture
def rotations():
    # Random rotations plus the hard cases of matrix -> quaternion: identity and half turns about each axis.
    special = Rotation.from_rotvec(np.array([[0, 0, 0], [np.pi, 0, 0], [0, np.pi, 0], [0, 0, np.pi],
                                             [np.pi / np.sqrt(2), np.pi / np.sqrt(2), 0]]))
    return Rotation.concatenate([Rotation.random(64, random_state=3), special])


def _same_rotation(a, b):
    return torch.minimum((a - b).abs().amax(-1), (a + b).abs().amax(-1))


def test_quaternion_matrix_round_trip_matches_scipy(rotations):
    quats = torch.from_numpy(rotations.as_quat())  # scipy's order is (x, y, z, w), as Kaolin's
    matrices = torch.from_numpy(rotations.as_matrix())
    torch.testing.assert_close(q.rot33_from_quat(quats), matrices, atol=1e-12, rtol=0)
    back = q.quat_from_rot33(matrices)
    assert _same_rotation(back, quats).max() < 1e-12
    assert (back[:, 3] >= 0).all()
    torch.testing.assert_close(q.rot44_from_quat(quats)[:, :3, :3], matrices, atol=1e-12, rtol=0)
    assert q.is_rot33_valid(matrices) and not q.is_rot33_valid(2 * matrices)


def test_multiply_rotate_and_angle_axis_match_scipy(rotations):
    first, second = rotations[:32], rotations[32:64]
    a, b = torch.from_numpy(first.as_quat()), torch.from_numpy(second.as_quat())
    assert _same_rotation(q.quat_mul(a, b), torch.from_numpy((first * second).as_quat())).max() < 1e-12
    points = torch.randn(32, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    expected = torch.from_numpy(first.apply(points.numpy()))
    torch.testing.assert_close(q.quat_rotate(a, points), expected)
    torch.testing.assert_close(q.rot33_rotate(points, q.rot33_from_quat(a)), expected)
    torch.testing.assert_close(q.quat_rotate(q.quat_inverse(a), expected), points)
    rotvec = torch.from_numpy(first.as_rotvec())
    angle, axis = q.angle_axis_from_quat(a)
    torch.testing.assert_close(angle * axis, rotvec)
    torch.testing.assert_close(q.quat_from_angle_axis(angle, axis), q.quat_unit_positive(a))
    torch.testing.assert_close(q.rot33_from_angle_axis(angle, axis), torch.from_numpy(first.as_matrix()))
    torch.testing.assert_close(q.quat_from_angle_axis(torch.rad2deg(angle), axis, is_degree=True),
                               q.quat_unit_positive(a))


def test_identity_angle_axis_and_integer_inputs():
    angle, axis = q.angle_axis_from_quat(q.quat_identity([2]))
    assert angle.abs().max() == 0 and torch.allclose(axis.norm(dim=-1), torch.ones(2))
    quats = torch.tensor([[0, 0, 0, 2]])  # integers, as Kaolin's quaternion recipe writes them
    torch.testing.assert_close(q.rot33_from_quat(quats), torch.eye(3).unsqueeze(0))
    torch.testing.assert_close(q.quat_unit_positive(torch.tensor([[0.0, 0.0, 0.6, -0.8]])),
                               torch.tensor([[0.0, 0.0, -0.6, 0.8]]))
    with pytest.raises(PipelineError, match=r"a must be a tensor of shape \(\.\.\., 4\)"):
        q.quat_mul(torch.zeros(3), torch.zeros(4))


def test_rigid_transforms_compose_like_matrices(rotations):
    r = torch.from_numpy(rotations[:8].as_quat())
    t = torch.randn(8, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    mat = rigid.euclidean_from_rotation_translation(r, t)
    assert rigid.is_euclidean_valid(mat)
    points = torch.randn(8, 3, dtype=torch.float64)
    by_matrix = (mat @ torch.nn.functional.pad(points, (0, 1), value=1.0).unsqueeze(-1)).squeeze(-1)[:, :3]
    transform = rigid.transform_from_euclidean(mat)
    torch.testing.assert_close(rigid.transform_apply(transform, points), by_matrix)
    torch.testing.assert_close(rigid.euclidean_inverse(mat), torch.linalg.inv(mat))
    torch.testing.assert_close(rigid.transform_apply(rigid.transform_inverse(transform), by_matrix), points)
    both = rigid.transform_mul(transform, transform.flip(0))
    torch.testing.assert_close(rigid.transform_apply(both, points),
                               rigid.transform_apply(transform, rigid.transform_apply(transform.flip(0), points)))
    torch.testing.assert_close(q.translation_to_mat44(t)[:, :3, 3], t)
    torch.testing.assert_close(q.scale_to_mat44(torch.tensor([2.0, 3.0, 4.0])), torch.diag(torch.tensor([2.0, 3.0, 4.0, 1.0]))[None])
    with pytest.raises(PipelineError, match="not a valid"):
        rigid.is_euclidean_valid(2 * mat, throw=True)
