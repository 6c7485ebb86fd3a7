"""The ops Kaolin has that the project added for ``kaolin_pipeline.kaolin``: each against a brute-force
float64 reference written here, trimesh, or hand-computed values."""
import math

import numpy as np
import pytest
import torch
import trimesh

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops import (
    adjacency_matrix,
    average_edge_length,
    average_face_vertex_features,
    compute_vertex_normals,
    face_areas,
    index_vertices_by_faces,
    packed_face_areas,
    packed_sample_points,
    point_to_mesh_distance,
    subdivide_trianglemesh,
    unindex_vertices_by_faces,
    uniform_laplacian_smoothing,
    vertex_tangents,
)

TETRAHEDRON = torch.tensor([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])


def _bumpy_sphere(seed=0, subdivisions=1):
    mesh = trimesh.creation.icosphere(subdivisions=subdivisions)
    rng = np.random.default_rng(seed)
    mesh.vertices = mesh.vertices * rng.uniform(0.8, 1.2, size=(len(mesh.vertices), 1))
    return mesh


def _neighbours(faces, num_vertices):
    found = [set() for _ in range(num_vertices)]
    for face in faces.tolist():
        for k in range(len(face)):
            i, j = face[k], face[k - 1]
            found[i].add(j)
            found[j].add(i)
    return found


# --- unindex / adjacency / averages -------------------------------------------------------------

def test_unindex_vertices_by_faces_round_trips_and_keeps_leading_dims():
    features = torch.rand(2, 5, 4, 3, 7)  # (..., F, K, D) with two leading dims
    flat, faces = unindex_vertices_by_faces(features)
    assert flat.shape == (2, 5, 12, 7) and faces.shape == (4, 3) and faces.dtype == torch.long
    assert faces.tolist() == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]]
    again = index_vertices_by_faces(flat.reshape(10, 12, 7), faces).reshape(features.shape)
    assert torch.equal(again, features)


@pytest.mark.parametrize("faces", [TETRAHEDRON, torch.tensor([[0, 1, 2, 3], [3, 2, 4, 5]])])
def test_adjacency_matrix_matches_brute_force_sparse_and_dense(faces):
    num_vertices = int(faces.max()) + 2  # one isolated vertex
    expected = torch.zeros(num_vertices, num_vertices)
    for i, near in enumerate(_neighbours(faces, num_vertices)):
        for j in near:
            expected[i, j] = 1
    sparse = adjacency_matrix(num_vertices, faces)
    assert sparse.is_sparse and sparse.is_coalesced()
    assert torch.equal(sparse.to_dense(), expected)
    assert torch.equal(adjacency_matrix(num_vertices, faces, sparse=False), expected)


def test_average_face_vertex_features_is_the_mean_over_incident_corners():
    faces = torch.tensor([[0, 1, 2], [1, 2, 4], [2, 4, 5]])
    features = torch.rand(2, 3, 3, 4, dtype=torch.float64)
    expected = torch.zeros(2, 7, 4, dtype=torch.float64)
    for v in range(7):
        corners = [(f, k) for f in range(3) for k in range(3) if faces[f, k] == v]
        if corners:
            expected[:, v] = sum(features[:, f, k] for f, k in corners) / len(corners)
    got = average_face_vertex_features(faces, features, num_vertices=7)
    assert torch.allclose(got, expected)
    assert torch.allclose(average_face_vertex_features(faces, features), expected[:, :6])  # V = max index + 1
    assert torch.equal(compute_vertex_normals(faces, features, num_vertices=7), got)


def test_uniform_laplacian_smoothing_moves_each_vertex_to_its_neighbours_mean():
    # Kaolin's definition, L @ v + v with L[i, i] = -1: an isolated vertex lands on the origin
    mesh = _bumpy_sphere()
    vertices = torch.tensor(mesh.vertices)[None]
    faces = torch.tensor(mesh.faces)
    extra = torch.cat([vertices, torch.tensor([[[5.0, 6.0, 7.0]]], dtype=torch.float64)], dim=1)  # isolated
    smoothed = uniform_laplacian_smoothing(extra, faces)
    for i, near in enumerate(_neighbours(faces, len(mesh.vertices))):
        assert torch.allclose(smoothed[0, i], extra[0, sorted(near)].mean(dim=0))
    assert torch.equal(smoothed[0, -1], torch.zeros(3, dtype=torch.float64))


def test_average_edge_length_by_hand():
    vertices = torch.tensor([[[0.0, 0, 0], [3, 0, 0], [0, 4, 0], [1, 1, 1]]])
    faces = torch.tensor([[0, 1, 2], [0, 1, 3]])
    got = average_edge_length(vertices, faces)
    assert got.shape == (1, 2)
    assert torch.allclose(got[0, 0], torch.tensor(4.0))  # (3 + 4 + 5) / 3
    assert torch.allclose(got[0, 1], torch.tensor((3 + math.sqrt(3) + math.sqrt(6)) / 3))


# --- packed layout --------------------------------------------------------------------------------

def _packed(meshes):
    vertices = torch.cat([torch.tensor(m.vertices, dtype=torch.float64) for m in meshes])
    faces = torch.cat([torch.tensor(m.faces) for m in meshes])
    counts = torch.tensor([len(m.vertices) for m in meshes])
    first_idx = torch.cat([torch.zeros(1, dtype=torch.long), counts.cumsum(0)])
    return vertices, first_idx, faces, torch.tensor([len(m.faces) for m in meshes])


def test_packed_face_areas_match_trimesh_per_mesh():
    meshes = [_bumpy_sphere(0), trimesh.creation.box(extents=(1, 2, 3)), _bumpy_sphere(1, subdivisions=0)]
    vertices, first_idx, faces, num_faces = _packed(meshes)
    areas = packed_face_areas(vertices, first_idx, faces, num_faces)
    assert torch.allclose(areas, torch.tensor(np.concatenate([m.area_faces for m in meshes])))
    with pytest.raises(PipelineError, match="first_idx_vertices"):
        packed_face_areas(vertices, first_idx[:-1], faces, num_faces)


def test_packed_sample_points_lie_on_their_mesh_and_follow_area():
    # mesh 0: two triangles of areas 1/2 and 3/2 (1 : 3); mesh 1: one triangle far away
    small = trimesh.Trimesh([[0, 0, 0], [1, 0, 0], [0, 1, 0], [3, 0, 0], [0, 1, 5]], [[0, 1, 2], [0, 3, 4]], process=False)
    far = trimesh.Trimesh([[10, 10, 10], [11, 10, 10], [10, 11, 10]], [[0, 1, 2]], process=False)
    far_area = far.area_faces[0]
    vertices, first_idx, faces, num_faces = _packed([small, far])
    generator = torch.Generator().manual_seed(0)
    points, choices = packed_sample_points(vertices, first_idx, faces, num_faces, 20000, generator=generator)
    assert points.shape == (2, 20000, 3) and choices.shape == (2, 20000)
    assert set(choices[0].unique().tolist()) == {0, 1} and choices[1].unique().tolist() == [2]
    ratio = (choices[0] == 1).double().mean().item()
    expected = small.area_faces[1] / small.area_faces.sum()
    assert abs(ratio - expected) < 0.02
    # every point is inside its chosen triangle: barycentric coordinates in [0, 1] summing to 1
    global_faces = torch.cat([faces[:2], faces[2:] + 5])
    corners = vertices[global_faces[choices]]  # (2, N, 3, 3)
    a, b, c = corners.unbind(dim=2)
    solution = torch.linalg.lstsq(torch.stack([b - a, c - a], dim=-1), (points - a).unsqueeze(-1)).solution[..., 0]
    residual = points - a - (solution.unsqueeze(-2) * torch.stack([b - a, c - a], dim=-1)).sum(-1)
    assert residual.abs().max() < 1e-9
    assert (solution >= -1e-9).all() and (solution.sum(-1) <= 1 + 1e-9).all()
    assert far_area > 0
    with pytest.raises(PipelineError, match="num_samples"):
        packed_sample_points(vertices, first_idx, faces, num_faces, 0)


# --- Loop subdivision -------------------------------------------------------------------------------

def _loop_reference(vertices, faces, alpha=None):
    """One Loop step written with Python dicts and float64, in the documented vertex order."""
    vertices = vertices.tolist()
    near = _neighbours(torch.tensor(faces), len(vertices))
    edge_faces = {}
    for f, face in enumerate(faces):
        for k in range(3):
            edge_faces.setdefault(tuple(sorted((face[k], face[(k + 1) % 3]))), []).append(f)
    edges = sorted(edge_faces)

    def weight(i):
        n = len(near[i])
        if alpha is not None:
            return alpha[i]
        if n == 3:
            return 9 / 16
        return 5 / 8 - (3 / 8 + math.cos(2 * math.pi / n) / 4) ** 2

    new = []
    new_alpha = []
    for i, v in enumerate(vertices):
        mean = np.mean([vertices[j] for j in near[i]], axis=0)
        a = weight(i)
        new.append((1 - a) * np.array(v) + a * mean)
        new_alpha.append(a)
    for i, j in edges:
        users = edge_faces[(i, j)]
        if len(users) == 2:
            far = [next(x for x in faces[f] if x not in (i, j)) for f in users]
            mix = lambda values: 3 / 8 * (values[i] + values[j]) + 1 / 8 * (values[far[0]] + values[far[1]])
        else:
            mix = lambda values: (values[i] + values[j]) / 2
        new.append(mix([np.array(v) for v in vertices]))
        new_alpha.append(mix([weight(x) for x in range(len(vertices))]))
    index = {e: len(vertices) + n for n, e in enumerate(edges)}
    new_faces = []
    for a, b, c in faces:
        ab, bc, ca = index[tuple(sorted((a, b)))], index[tuple(sorted((b, c)))], index[tuple(sorted((c, a)))]
        new_faces += [[b, bc, ab], [a, ab, ca], [c, ca, bc], [ca, ab, bc]]
    return np.array(new), new_faces, new_alpha


def test_subdivide_closed_mesh_matches_trimesh_loop_subdivision():
    mesh = _bumpy_sphere(subdivisions=1)
    vertices = torch.tensor(mesh.vertices)[None]
    new_vertices, new_faces = subdivide_trianglemesh(vertices, torch.tensor(mesh.faces), 2)
    ref_vertices, ref_faces = trimesh.remesh.subdivide_loop(mesh.vertices, mesh.faces, iterations=2)
    assert new_faces.shape == (len(mesh.faces) * 16, 3) and new_vertices.shape[1] == len(ref_vertices)
    # same point set (trimesh orders vertices differently): match each of ours to its nearest
    distance = torch.cdist(new_vertices[0], torch.tensor(ref_vertices)).min(dim=1).values
    assert distance.max() < 1e-6  # trimesh works partly in float32
    ours = trimesh.Trimesh(new_vertices[0].numpy(), new_faces.numpy(), process=False)
    assert ours.is_watertight and abs(ours.area - trimesh.Trimesh(ref_vertices, ref_faces).area) < 1e-5


def test_subdivide_open_mesh_and_alpha_match_the_reference_in_order():
    vertices = torch.tensor([[[0.0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0.5], [2, 0, 0.3]]], dtype=torch.float64)
    faces = [[0, 1, 2], [1, 3, 2], [1, 4, 3]]
    got_vertices, got_faces = subdivide_trianglemesh(vertices, torch.tensor(faces), 1)
    ref_vertices, ref_faces, _ = _loop_reference(vertices[0], faces)
    assert got_faces.tolist() == ref_faces
    assert torch.allclose(got_vertices[0], torch.tensor(ref_vertices))

    alpha = torch.tensor([[0.0, 0.3, 0.6, 1.0, 0.2]], dtype=torch.float64, requires_grad=True)
    two, two_faces = subdivide_trianglemesh(vertices, torch.tensor(faces), 2, alpha=alpha)
    once, once_faces, once_alpha = _loop_reference(vertices[0], faces, alpha[0].tolist())
    twice, twice_faces, _ = _loop_reference(torch.tensor(once), once_faces, once_alpha)
    assert two_faces.tolist() == twice_faces
    assert torch.allclose(two[0].detach(), torch.tensor(twice))
    assert torch.equal(two[0, 0].detach(), vertices[0, 0])  # alpha 0 keeps the vertex in place
    two.sum().backward()
    assert alpha.grad is not None and torch.isfinite(alpha.grad).all()


def test_subdivide_zero_iterations_and_bad_arguments():
    vertices = torch.rand(2, 4, 3)
    same, same_faces = subdivide_trianglemesh(vertices, TETRAHEDRON, 0)
    assert torch.equal(same, vertices) and torch.equal(same_faces, TETRAHEDRON)
    with pytest.raises(PipelineError, match="iterations"):
        subdivide_trianglemesh(vertices, TETRAHEDRON, -1)
    with pytest.raises(PipelineError, match="alpha"):
        subdivide_trianglemesh(vertices, TETRAHEDRON, 1, alpha=torch.zeros(2, 5))


# --- point to mesh distance ---------------------------------------------------------------------

def test_point_to_mesh_distance_matches_trimesh_closest_point():
    mesh = _bumpy_sphere(subdivisions=2)
    rng = np.random.default_rng(3)
    points = rng.normal(size=(400, 3)) * rng.uniform(0.2, 2.0, size=(400, 1))
    face_vertices = index_vertices_by_faces(torch.tensor(mesh.vertices)[None], torch.tensor(mesh.faces))
    distance, face_idx, dist_type = point_to_mesh_distance(torch.tensor(points)[None], face_vertices)
    # brute force: trimesh's closest point on every triangle for every point, nearest kept
    triangles = np.repeat(mesh.triangles[None], len(points), axis=0).reshape(-1, 3, 3)
    on_each = trimesh.triangles.closest_point(triangles, np.repeat(points, len(mesh.faces), axis=0))
    squared = ((on_each.reshape(len(points), -1, 3) - points[:, None]) ** 2).sum(-1)
    assert torch.allclose(distance[0], torch.tensor(squared.min(axis=1)), atol=1e-9)
    assert dist_type.dtype == torch.int32 and face_idx.dtype == torch.long
    # the chosen face really is at that distance
    chosen = trimesh.triangles.closest_point(mesh.triangles[face_idx[0].numpy()], points)
    assert np.allclose(((chosen - points) ** 2).sum(1), distance[0].numpy(), atol=1e-9)


@pytest.mark.parametrize("point,kind,squared", [
    ((0.2, 0.2, 1.0), 0, 1.0),       # above the interior
    ((-1.0, -1.0, 0.0), 1, 2.0),     # beyond corner 0
    ((3.0, -1.0, 0.0), 2, 5.0),      # beyond corner 1
    ((-1.0, 3.0, 0.0), 3, 5.0),      # beyond corner 2
    ((0.5, -2.0, 0.0), 4, 4.0),      # beside side 0-1
    ((1.0, 1.0, 0.0), 5, 0.5),       # beside side 1-2
    ((-3.0, 0.5, 0.0), 6, 9.0),      # beside side 2-0
    ((0.0, 0.0, 0.0), 4, 0.0),       # on corner 0 itself: the side wins, as in Kaolin
])
def test_point_to_mesh_distance_types_by_hand(point, kind, squared):
    triangle = torch.tensor([[[[0.0, 0, 0], [1, 0, 0], [0, 1, 0]]]])
    distance, face_idx, dist_type = point_to_mesh_distance(torch.tensor([[point]]), triangle)
    assert dist_type.item() == kind and face_idx.item() == 0
    assert distance.item() == pytest.approx(squared)


def test_point_to_mesh_distance_gradients():
    # separate random triangles: no shared sides, so no ties between faces (where the gradient jumps)
    rng = np.random.default_rng(0)
    face_vertices = torch.tensor(rng.normal(size=(1, 5, 3, 3)))
    points = torch.tensor(rng.normal(size=(1, 8, 3)) * 1.5)
    face_vertices.requires_grad_(True)
    points.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda p, f: point_to_mesh_distance(p, f)[0], (points, face_vertices))


def test_point_to_mesh_distance_bad_arguments():
    with pytest.raises(PipelineError, match="face_vertices"):
        point_to_mesh_distance(torch.rand(1, 4, 3), torch.rand(1, 2, 3))
    with pytest.raises(PipelineError, match="batch size"):
        point_to_mesh_distance(torch.rand(2, 4, 3), torch.rand(1, 2, 3, 3))


# --- tangents ----------------------------------------------------------------------------------

def test_vertex_tangents_follow_the_u_direction_on_a_cylinder():
    # u = angle / 2 pi around z, v = height: the tangent is d(position)/du, the circumferential direction
    segments, rows = 24, 4
    angle = torch.arange(segments + 1, dtype=torch.float64) / segments * 2 * math.pi
    height = torch.linspace(0, 1, rows, dtype=torch.float64)
    grid_a, grid_h = torch.meshgrid(angle, height, indexing="ij")
    vertices = torch.stack([grid_a.cos(), grid_a.sin(), grid_h], dim=-1).reshape(-1, 3)
    uvs = torch.stack([grid_a / (2 * math.pi), grid_h], dim=-1).reshape(-1, 2)
    faces = []
    for i in range(segments):
        for j in range(rows - 1):
            a, b, c, d = i * rows + j, (i + 1) * rows + j, (i + 1) * rows + j + 1, i * rows + j + 1
            faces += [[a, b, c], [a, c, d]]
    faces = torch.tensor(faces)
    normals = torch.stack([grid_a.cos(), grid_a.sin(), torch.zeros_like(grid_a)], dim=-1).reshape(-1, 3)
    tangents = vertex_tangents(faces, vertices[faces], uvs[faces], normals)
    expected = torch.stack([-grid_a.sin(), grid_a.cos(), torch.zeros_like(grid_a)], dim=-1).reshape(-1, 3)
    assert torch.allclose(tangents, expected, atol=0.02)
    assert torch.allclose(tangents.norm(dim=1), torch.ones(len(vertices), dtype=torch.float64))
    assert (tangents * normals).sum(1).abs().max() < 1e-12


def test_vertex_tangents_flip_with_the_texture_by_hand():
    vertices = torch.tensor([[0.0, 0, 0], [1, 0, 0], [0, 1, 0]])
    faces = torch.tensor([[0, 1, 2]])
    normals = torch.tensor([[0.0, 0, 1]]).repeat(3, 1)
    along_x = vertex_tangents(faces, vertices[faces], torch.tensor([[[0.0, 0], [1, 0], [0, 1]]]), normals)
    along_y = vertex_tangents(faces, vertices[faces], torch.tensor([[[0.0, 0], [0, 1], [1, 0]]]), normals)
    assert torch.allclose(along_x, torch.tensor([[1.0, 0, 0]]).repeat(3, 1))
    assert torch.allclose(along_y, torch.tensor([[0.0, 1, 0]]).repeat(3, 1))


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA device"))])
def test_new_ops_run_on_the_tensors_device(device):
    mesh = _bumpy_sphere()
    vertices = torch.tensor(mesh.vertices, dtype=torch.float32, device=device)[None]
    faces = torch.tensor(mesh.faces, device=device)
    new_vertices, new_faces = subdivide_trianglemesh(vertices, faces, 1)
    distance, _, _ = point_to_mesh_distance(vertices * 1.1, index_vertices_by_faces(vertices, faces))
    areas = packed_face_areas(vertices[0], torch.tensor([0, vertices.shape[1]]), faces, torch.tensor([len(faces)]))
    assert new_vertices.device.type == device and distance.device.type == device and areas.device.type == device
    assert torch.allclose(areas.cpu(), face_areas(vertices, faces)[0].cpu())
    assert adjacency_matrix(vertices.shape[1], faces).device.type == device


def test_unbatched_point_to_mesh_distance_by_hand():
    from kaolin_pipeline.ops.mesh_distance import unbatched_point_to_mesh_distance

    face_vertices = torch.tensor([[[0.0, 0, 0], [1, 0, 0], [0, 1, 0]], [[0.0, 0, 5], [1, 0, 5], [0, 1, 5]]])
    points = torch.tensor([[0.2, 0.2, 1.0], [-1.0, -1.0, 0.0], [0.5, -2.0, 4.0], [0.2, 0.3, 4.5]])
    distance, face_idx, dist_type = unbatched_point_to_mesh_distance(points, face_vertices)
    # Above the interior (1), off corner 0 (2), off side 0-1 of the upper face (4 + 1), near the upper face.
    torch.testing.assert_close(distance, torch.tensor([1.0, 2.0, 5.0, 0.25]))
    assert face_idx.tolist() == [0, 0, 1, 1] and dist_type.tolist() == [0, 1, 4, 0]
