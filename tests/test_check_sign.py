"""``ops.winding.check_sign`` (Kaolin's ``kal.ops.mesh.check_sign``, a ray parity test) against a float64
brute-force generalised winding number (trimesh's ``contains`` needs rtree, not installed)."""
import numpy as np
import pytest
import torch
import trimesh

from kaolin_pipeline.errors import ArgumentTypeError, PipelineError
from kaolin_pipeline.ops.winding import check_sign


def _winding_inside(vertices, faces, points):
    """|sum of signed solid angles| / 4 pi > 1/2 (Van Oosterom & Strackee), every point against every face."""
    rel = vertices[faces][None] - points[:, None, None, :]  # (P, F, 3, 3)
    a, b, c = rel[:, :, 0], rel[:, :, 1], rel[:, :, 2]
    la, lb, lc = (np.linalg.norm(v, axis=-1) for v in (a, b, c))
    numerator = np.einsum("pfi,pfi->pf", a, np.cross(b, c))
    denominator = la * lb * lc + (a * b).sum(-1) * lc + (b * c).sum(-1) * la + (c * a).sum(-1) * lb
    return np.abs(2 * np.arctan2(numerator, denominator).sum(-1) / (4 * np.pi)) > 0.5


def _shapes():
    torus = trimesh.creation.torus(major_radius=0.6, minor_radius=0.25, major_sections=32, minor_sections=12)
    box = trimesh.creation.box(extents=(1.0, 0.5, 0.8))  # big faces: rays through shared diagonals
    box.apply_transform(trimesh.transformations.rotation_matrix(0.4, [1, 1, 0]))
    return [trimesh.creation.icosphere(subdivisions=2), torus, box]


@pytest.mark.parametrize("shape", _shapes(), ids=["sphere", "torus", "rotated box"])
def test_matches_winding_numbers(shape):
    rng = np.random.default_rng(0)
    low, high = shape.bounds
    points = rng.uniform(low - 0.2, high + 0.2, size=(1500, 3))
    expected = torch.from_numpy(_winding_inside(np.asarray(shape.vertices), np.asarray(shape.faces), points))
    verts = torch.tensor(shape.vertices, dtype=torch.float32)[None]
    faces = torch.tensor(shape.faces, dtype=torch.long)
    inside = check_sign(verts, faces, torch.tensor(points, dtype=torch.float32)[None])
    assert inside.shape == (1, 1500) and inside.dtype == torch.bool
    assert 0.1 < float(expected.float().mean()) < 0.9
    assert int((inside[0] != expected).sum()) <= 1  # float32 rays vs float64 angles, for a point on the surface
    # Flipped faces and a batch of two give the same answer.
    both = check_sign(torch.cat([verts, verts]), faces.flip(1),
                      torch.tensor(points, dtype=torch.float32).expand(2, -1, -1))
    assert torch.equal(both[0], inside[0]) and torch.equal(both[1], inside[0])


def test_rays_through_shared_edges_and_vertices_count_once():
    # An axis-aligned unit cube (12 faces) and points on a lattice whose +z rays hit its edges and corners.
    cube = trimesh.creation.box(extents=(1.0, 1.0, 1.0))
    axis = torch.tensor([-0.5, -0.25, 0.0, 0.25, 0.5])
    points = torch.stack(torch.meshgrid(axis, axis, torch.tensor([-0.25, 0.75]), indexing="ij"), -1).reshape(1, -1, 3)
    inside = check_sign(torch.tensor(cube.vertices, dtype=torch.float32)[None], torch.tensor(cube.faces), points)[0]
    xy_inside = (points[0, :, :2].abs() < 0.5).all(-1) & (points[0, :, 2] < 0.5)
    interior = (points[0, :, :2].abs() < 0.5).all(-1)
    assert torch.equal(inside[interior], xy_inside[interior])
    assert not inside[points[0, :, 2] > 0.5].any()


def test_kaolin_argument_errors():
    verts, faces, points = torch.zeros(1, 4, 3), torch.tensor([[0, 1, 2]]), torch.zeros(1, 5, 3)
    with pytest.raises(ArgumentTypeError, match="Expected faces entries to be torch.int64"):
        check_sign(verts, faces.int(), points)
    with pytest.raises(ArgumentTypeError, match="hash_resolution"):
        check_sign(verts, faces, points, 512.0)
    with pytest.raises(PipelineError, match="Expected points to have 3 coordinates"):
        check_sign(verts, faces, points[..., :2])
    with pytest.raises(PipelineError, match="faces: indices"):
        check_sign(verts, faces + 2, points)
