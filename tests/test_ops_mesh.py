"""ops.mesh against hand-computed values, trimesh, and NumPy references written here."""
import numpy as np
import pytest
import torch
import trimesh

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops import (
    edge_adjacent_faces,
    edge_lengths,
    face_areas,
    face_normals,
    fit_in_sphere,
    index_vertices_by_faces,
    mesh_edges,
    normalize_vertices,
    uniform_laplacian,
    vertex_normals,
)


def _bumpy_sphere(seed=0):
    mesh = trimesh.creation.icosphere(subdivisions=2)
    rng = np.random.default_rng(seed)
    mesh.vertices = mesh.vertices * rng.uniform(0.8, 1.2, size=(len(mesh.vertices), 1))
    return mesh


def _tensors(mesh, dtype=torch.float64):
    return torch.tensor(mesh.vertices, dtype=dtype)[None], torch.tensor(mesh.faces, dtype=torch.long)


TETRAHEDRON = torch.tensor([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])


def test_index_vertices_by_faces_by_hand():
    features = torch.arange(2 * 4 * 2, dtype=torch.float32).reshape(2, 4, 2)
    faces = torch.tensor([[0, 1, 2], [3, 2, 0]])
    out = index_vertices_by_faces(features, faces)
    assert out.shape == (2, 2, 3, 2)
    expected = torch.tensor([[[[0, 1], [2, 3], [4, 5]], [[6, 7], [4, 5], [0, 1]]],
                             [[[8, 9], [10, 11], [12, 13]], [[14, 15], [12, 13], [8, 9]]]], dtype=torch.float32)
    assert torch.equal(out, expected)


def test_face_normals_by_hand_and_against_trimesh():
    face_vertices = torch.tensor([[[[0.0, 0, 0], [2, 0, 0], [0, 3, 0]]]])
    assert torch.allclose(face_normals(face_vertices), torch.tensor([[[0.0, 0, 6]]]))
    assert torch.allclose(face_normals(face_vertices, unit=True), torch.tensor([[[0.0, 0, 1]]]))

    mesh = _bumpy_sphere()
    vertices, faces = _tensors(mesh)
    normals = face_normals(index_vertices_by_faces(vertices, faces), unit=True)
    assert normals.shape == (1, len(faces), 3) and normals.dtype == torch.float64
    np.testing.assert_allclose(normals[0].numpy(), mesh.face_normals, atol=1e-10)


def test_face_areas_against_trimesh_batched():
    mesh = _bumpy_sphere()
    vertices, faces = _tensors(mesh)
    batch = torch.cat([vertices, 3.0 * vertices])
    areas = face_areas(batch, faces)
    assert areas.shape == (2, len(faces))
    np.testing.assert_allclose(areas[0].numpy(), mesh.area_faces, rtol=1e-10)
    np.testing.assert_allclose(areas[1].numpy(), 9.0 * mesh.area_faces, rtol=1e-10)


def _numpy_area_weighted_normals(vertices, faces):
    normals = np.zeros_like(vertices)
    for a, b, c in faces:
        cross = np.cross(vertices[b] - vertices[a], vertices[c] - vertices[a])  # length = 2 x area
        for corner in (a, b, c):
            normals[corner] += cross
    return normals / np.linalg.norm(normals, axis=1, keepdims=True)


def test_vertex_normals_area_weighted_reference_and_trimesh():
    mesh = _bumpy_sphere()
    vertices, faces = _tensors(mesh)
    normals = vertex_normals(vertices, faces)
    assert normals.shape == vertices.shape
    np.testing.assert_allclose(normals[0].numpy(), _numpy_area_weighted_normals(mesh.vertices, mesh.faces), atol=1e-10)
    # trimesh weights by corner angle instead of area: on a regular sphere both point outwards.
    sphere = trimesh.creation.icosphere(subdivisions=3)
    ours = vertex_normals(*_tensors(sphere))[0].numpy()
    assert (ours * sphere.vertex_normals).sum(axis=1).min() > 0.999


def test_vertex_normals_of_unused_vertex_is_zero():
    vertices = torch.tensor([[[0.0, 0, 0], [1, 0, 0], [0, 1, 0], [5, 5, 5]]])
    normals = vertex_normals(vertices, torch.tensor([[0, 1, 2]]))
    assert torch.allclose(normals[0, :3], torch.tensor([0.0, 0, 1]).expand(3, 3))
    assert torch.equal(normals[0, 3], torch.zeros(3))


def test_normals_and_areas_gradcheck():
    mesh = _bumpy_sphere()
    vertices, faces = _tensors(mesh)
    vertices = vertices[:, :20].clone().requires_grad_(True)
    faces = faces[(faces < 20).all(dim=1)]
    assert torch.autograd.gradcheck(lambda v: face_areas(v, faces), (vertices,))
    assert torch.autograd.gradcheck(lambda v: vertex_normals(v, faces), (vertices,))


def test_mesh_edges_and_lengths_against_trimesh():
    mesh = _bumpy_sphere()
    vertices, faces = _tensors(mesh)
    edges = mesh_edges(faces)
    expected = np.unique(np.sort(mesh.edges_unique, axis=1), axis=0)
    np.testing.assert_array_equal(edges.numpy(), expected)
    lengths = edge_lengths(vertices, edges)
    np.testing.assert_allclose(lengths[0].numpy(), np.linalg.norm(mesh.vertices[expected[:, 0]] - mesh.vertices[expected[:, 1]], axis=1))


def test_edge_adjacent_faces():
    mesh = _bumpy_sphere()
    pairs = edge_adjacent_faces(torch.tensor(mesh.faces))
    assert pairs.shape == (len(mesh.edges_unique), 2)
    assert {tuple(p) for p in pairs.tolist()} == {tuple(sorted(p)) for p in mesh.face_adjacency.tolist()}
    # An open strip: two triangles share edge (1, 2); boundary edges are skipped.
    assert edge_adjacent_faces(torch.tensor([[0, 1, 2], [2, 1, 3]])).tolist() == [[0, 1]]
    assert edge_adjacent_faces(torch.tensor([[0, 1, 2]])).shape == (0, 2)


def test_uniform_laplacian_tetrahedron_by_hand():
    laplacian = uniform_laplacian(4, TETRAHEDRON)
    expected = torch.full((4, 4), 1.0 / 3.0) - (4.0 / 3.0) * torch.eye(4)
    assert torch.allclose(laplacian, expected)
    # Two triangles sharing edge (1, 2): vertices 1 and 2 have 3 neighbours, 0 and 3 have 2; vertex 4 is isolated.
    laplacian = uniform_laplacian(5, torch.tensor([[0, 1, 2], [2, 1, 3]]))
    expected = torch.tensor([[-1, 1 / 2, 1 / 2, 0, 0],
                             [1 / 3, -1, 1 / 3, 1 / 3, 0],
                             [1 / 3, 1 / 3, -1, 1 / 3, 0],
                             [0, 1 / 2, 1 / 2, -1, 0],
                             [0, 0, 0, 0, -1]])
    assert torch.allclose(laplacian, expected)


def test_normalize_vertices_by_hand_and_batched():
    vertices = torch.tensor([[1.0, 1, 1], [3, 1, 1], [1, 5, 1]])
    # bbox centre (2, 3, 1); offsets (-1,-2,0), (1,-2,0), (-1,2,0): farthest at sqrt(5)
    expected = torch.tensor([[-1.0, -2, 0], [1, -2, 0], [-1, 2, 0]]) / 5 ** 0.5
    assert torch.allclose(normalize_vertices(vertices), expected)
    batch = torch.stack([vertices, 10 * vertices + 7])
    out = normalize_vertices(batch)
    assert out.shape == batch.shape
    assert torch.allclose(out[0], expected) and torch.allclose(out[1], expected, atol=1e-6)


def test_fit_in_sphere_by_hand_returns_the_map_it_applied():
    vertices = torch.tensor([[1.0, 1, 1], [3, 1, 1], [1, 5, 1]], dtype=torch.float64)
    fitted, centre, scale = fit_in_sphere(vertices, 0.7)
    # bbox centre (2, 3, 1); farthest offset sqrt(5), so scale 0.7 / sqrt(5)
    assert torch.equal(centre, torch.tensor([[2.0, 3, 1]], dtype=torch.float64))
    assert scale.shape == (1, 1) and abs(float(scale) - 0.7 / 5 ** 0.5) < 1e-15
    expected = torch.tensor([[-1.0, -2, 0], [1, -2, 0], [-1, 2, 0]], dtype=torch.float64) * 0.7 / 5 ** 0.5
    assert torch.allclose(fitted, expected, rtol=0, atol=1e-15)
    assert torch.allclose(centre + fitted / scale, vertices, rtol=0, atol=1e-14)  # the inverse map
    batch = torch.stack([vertices, 10 * vertices + 7]).float()
    fitted, centre, scale = fit_in_sphere(batch, 2.0)
    assert fitted.shape == batch.shape and centre.shape == (2, 1, 3) and scale.shape == (2, 1, 1)
    assert torch.allclose(fitted[1], expected.float() * 2.0 / 0.7, atol=1e-6)
    assert torch.allclose(scale[:, 0, 0], torch.tensor([2.0, 0.2]) / 5 ** 0.5)
    with pytest.raises(PipelineError, match="coincide"):
        fit_in_sphere(torch.ones(4, 3), 1.0)


def test_bad_arguments_raise_pipeline_errors():
    vertices = torch.rand(1, 4, 3)
    with pytest.raises(PipelineError, match="faces"):
        face_areas(vertices, torch.tensor([[0, 1]]))
    with pytest.raises(PipelineError, match="faces"):
        vertex_normals(vertices, torch.tensor([[0.0, 1.0, 2.0]]))
    with pytest.raises(PipelineError, match="vertices"):
        face_areas(torch.rand(4, 3), TETRAHEDRON)
    with pytest.raises(PipelineError, match="face_vertices"):
        face_normals(torch.rand(1, 4, 3))
    with pytest.raises(PipelineError, match="num_vertices"):
        uniform_laplacian(0, TETRAHEDRON)
    with pytest.raises(PipelineError, match="coincide"):
        normalize_vertices(torch.ones(5, 3))
    with pytest.raises(PipelineError, match="vertices"):
        normalize_vertices(torch.ones(5, 2))
