"""sample_points: placement on faces, area-proportional face choice, uniformity, gradients."""
import numpy as np
import pytest
import torch
import trimesh
from small_meshes import tetrahedron_faces

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops import index_vertices_by_faces, sample_points


def _separate_triangles(areas):
    """Disjoint right triangles with legs (1, 2a): areas exactly ``areas``."""
    vertices, faces = [], []
    for index, area in enumerate(areas):
        base = np.array([0.0, 0.0, 3.0 * index])
        vertices += [base, base + [1.0, 0, 0], base + [0, 2.0 * area, 0]]
        faces.append([3 * index, 3 * index + 1, 3 * index + 2])
    return torch.tensor(np.array(vertices))[None], torch.tensor(faces)


def _seeded(seed=0):
    return torch.Generator().manual_seed(seed)


def test_shapes_dtypes_and_reproducibility():
    mesh = trimesh.creation.icosphere(subdivisions=2)
    vertices = torch.tensor(mesh.vertices, dtype=torch.float32)[None].repeat(2, 1, 1)
    faces = torch.tensor(mesh.faces)
    points, choices = sample_points(vertices, faces, 1000, generator=_seeded())
    assert points.shape == (2, 1000, 3) and points.dtype == torch.float32
    assert choices.shape == (2, 1000) and choices.dtype == torch.long
    assert 0 <= int(choices.min()) and int(choices.max()) < len(faces)
    again, same_choices = sample_points(vertices, faces, 1000, generator=_seeded())
    assert torch.equal(points, again) and torch.equal(choices, same_choices)
    # Unit sphere vertices: points on the flat faces lie just inside it.
    radius = points.norm(dim=-1)
    assert float(radius.max()) <= 1 + 1e-6 and float(radius.min()) > 0.9


def test_points_lie_on_their_faces():
    mesh = trimesh.creation.icosphere(subdivisions=1)
    mesh.vertices *= np.random.default_rng(1).uniform(0.5, 1.5, size=(len(mesh.vertices), 1))
    vertices = torch.tensor(mesh.vertices)[None]
    points, choices = sample_points(vertices, torch.tensor(mesh.faces), 2000, generator=_seeded(1))
    corners = mesh.vertices[mesh.faces[choices[0].numpy()]]  # (N, 3, 3)
    # Solve p = a + s (b - a) + t (c - a) in least squares; on the face: residual 0, s, t >= 0, s + t <= 1.
    basis = np.stack([corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]], axis=2)  # (N, 3, 2)
    offsets = points[0].numpy() - corners[:, 0]
    coefficients = np.linalg.solve(basis.transpose(0, 2, 1) @ basis, (basis.transpose(0, 2, 1) @ offsets[..., None]))[..., 0]
    residual = np.linalg.norm(basis @ coefficients[..., None] - offsets[..., None], axis=1)
    assert residual.max() < 1e-10
    assert coefficients.min() >= -1e-10 and coefficients.sum(axis=1).max() <= 1 + 1e-10


def test_face_histogram_proportional_to_area():
    areas = [1.0, 2.0, 3.0, 4.0]
    vertices, faces = _separate_triangles(areas)
    num = 40000
    _, choices = sample_points(vertices, faces, num, generator=_seeded(2))
    observed = np.bincount(choices[0].numpy(), minlength=4)
    expected = num * np.array(areas) / sum(areas)
    chi_square = ((observed - expected) ** 2 / expected).sum()
    assert chi_square < 21.1  # 3 degrees of freedom, p = 1e-4


def test_zero_weight_faces_never_chosen_and_custom_areas_used():
    vertices, faces = _separate_triangles([1.0, 1.0, 1.0])
    _, choices = sample_points(vertices, faces, 500, areas=torch.tensor([[0.0, 1.0, 0.0]]), generator=_seeded())
    assert torch.equal(choices, torch.ones_like(choices))


def test_uniform_within_a_triangle():
    vertices = torch.tensor([[[0.0, 0, 0], [1, 0, 0], [0, 1, 0]]])
    points, _ = sample_points(vertices, torch.tensor([[0, 1, 2]]), 40000, generator=_seeded(3))
    x, y = points[0, :, 0], points[0, :, 1]
    # The sub-triangle x + y < 1/2 holds 1/4 of the area; the square [0, 1/2]^2 holds 1/2.
    assert abs(float((x + y < 0.5).float().mean()) - 0.25) < 0.01
    assert abs(float(((x < 0.5) & (y < 0.5)).float().mean()) - 0.5) < 0.01
    assert abs(float(x.mean()) - 1 / 3) < 0.01 and abs(float(y.mean()) - 1 / 3) < 0.01


def test_features_interpolated_like_positions():
    mesh = trimesh.creation.icosphere(subdivisions=1)
    vertices = torch.tensor(mesh.vertices)[None]
    faces = torch.tensor(mesh.faces)
    features = index_vertices_by_faces(torch.cat([vertices, vertices[..., :1] * 2], dim=-1), faces)  # (1, F, 3, 4)
    points, _, point_features = sample_points(vertices, faces, 300, face_features=features, generator=_seeded(4))
    assert point_features.shape == (1, 300, 4)
    assert torch.allclose(point_features[..., :3], points) and torch.allclose(point_features[..., 3], 2 * points[..., 0])


def test_gradcheck_vertices_and_features():
    vertices = torch.tensor([[[0.0, 0, 0], [1, 0, 0], [0, 1, 0], [0.2, 0.3, 1.0]]], dtype=torch.float64, requires_grad=True)
    faces = tetrahedron_faces()
    features = torch.rand(1, 4, 3, 2, dtype=torch.float64, requires_grad=True)

    def sampled(v, feats):
        points, _, point_features = sample_points(v, faces, 7, face_features=feats, generator=_seeded(5))
        return points, point_features

    assert torch.autograd.gradcheck(sampled, (vertices, features))


def test_bad_arguments():
    vertices, faces = _separate_triangles([1.0, 2.0])
    with pytest.raises(PipelineError, match="num_samples"):
        sample_points(vertices, faces, 0)
    with pytest.raises(PipelineError, match="areas"):
        sample_points(vertices, faces, 5, areas=torch.ones(1, 3))
    with pytest.raises(PipelineError, match="areas"):
        sample_points(vertices, faces, 5, areas=torch.zeros(1, 2))
    with pytest.raises(PipelineError, match="face_features"):
        sample_points(vertices, faces, 5, face_features=torch.ones(1, 2, 2, 4))
    with pytest.raises(PipelineError, match="faces"):
        sample_points(vertices, faces[:, :2], 5)
