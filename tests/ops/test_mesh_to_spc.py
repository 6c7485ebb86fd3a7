"""ops.spc.unbatched_mesh_to_spc (Kaolin's ``kal.ops.conversions.unbatched_mesh_to_spc``) by hand and against a
dense float64 brute force: every cell of the grid clipped against every triangle (Sutherland-Hodgman), the
nearest point found by projecting onto the plane or else onto the nearest side."""
import numpy as np
import pytest
import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops.spc import generate_points, scan_octrees, unbatched_mesh_to_spc


def _clip_is_empty(polygon, low, high):
    """Whether the convex polygon (list of 3-vectors) misses the box [low, high] (boundary contact counts)."""
    for axis in range(3):
        for bound, sign in ((low[axis], 1.0), (high[axis], -1.0)):
            kept = []
            for i, p in enumerate(polygon):
                q = polygon[(i + 1) % len(polygon)]
                dp, dq = sign * (p[axis] - bound), sign * (q[axis] - bound)
                if dp >= 0:
                    kept.append(p)
                if (dp >= 0) != (dq >= 0):
                    kept.append(p + (q - p) * (dp / (dp - dq)))
            polygon = kept
            if not polygon:
                return True
    return False


def _nearest_weights(triangle, point):
    """Barycentric weights of the point of the triangle nearest to ``point``."""
    a, b, c = triangle
    basis = np.stack([b - a, c - a], axis=1)
    uv = np.linalg.lstsq(basis, point - a, rcond=None)[0]
    if uv.min() >= 0 and uv.sum() <= 1:
        return np.array([1 - uv.sum(), uv[0], uv[1]])
    best = None
    for i, j in ((0, 1), (1, 2), (2, 0)):
        p, q = triangle[i], triangle[j]
        t = np.clip(np.dot(point - p, q - p) / np.dot(q - p, q - p), 0, 1)
        distance = np.linalg.norm(p + t * (q - p) - point)
        if best is None or distance < best[0]:
            weights = np.zeros(3)
            weights[i], weights[j] = 1 - t, t
            best = (distance, weights)
    return best[1]


def _cells(octree, level):
    """The deepest level's cells of an octree, decoded by the SPC reader, in the octree's order."""
    _, pyramid, exsum = scan_octrees(octree, torch.tensor([octree.shape[0]], dtype=torch.int32))
    points = generate_points(octree, pyramid, exsum)
    return points[pyramid[0, 1, level]:pyramid[0, 1, level + 1]]


def test_one_triangle_at_level_one_by_hand():
    # In the plane z = 0.5, legs along x and y from (-0.5, -0.5): it touches the four cells with z high, the
    # fourth (x, y >= 0) only at its corner (0, 0), which the hypotenuse passes through.
    triangle = torch.tensor([[[-0.5, -0.5, 0.5], [0.5, -0.5, 0.5], [-0.5, 0.5, 0.5]]])
    octree, face_idx, weights = unbatched_mesh_to_spc(triangle, 1)
    assert octree.tolist() == [2 + 8 + 32 + 128]  # cells 1, 3, 5, 7: (0,0,1) (0,1,1) (1,0,1) (1,1,1)
    assert face_idx.tolist() == [0, 0, 0, 0]
    # Cell centres (-0.5,-0.5) = a, (-0.5, 0.5) = c, (0.5,-0.5) = b; (0.5, 0.5) is nearest to the middle of bc.
    assert torch.allclose(weights, torch.tensor([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0], [0.0, 0.5]]), atol=1e-6)
    assert weights.dtype == torch.float32 and octree.dtype == torch.uint8


@pytest.mark.parametrize("seed", [0, 1])
def test_random_triangles_match_a_dense_brute_force(seed):
    level = 3
    generator = torch.Generator().manual_seed(seed)
    face_vertices = torch.rand(5, 3, 3, generator=generator, dtype=torch.float64) * 1.6 - 0.8
    octree, face_idx, weights = unbatched_mesh_to_spc(face_vertices, level)
    size = 2.0 / 2 ** level
    triangles = face_vertices.numpy()
    expected_cells, expected_faces, expected_weights, shared = [], [], [], 0
    for x in range(2 ** level):
        for y in range(2 ** level):
            for z in range(2 ** level):
                low = np.array([x, y, z]) * size - 1
                hits = [f for f in range(len(triangles)) if not _clip_is_empty(list(triangles[f]), low, low + size)]
                shared += len(hits) > 1
                if hits:
                    expected_cells.append((x, y, z))
                    expected_faces.append(hits[0])
                    expected_weights.append(_nearest_weights(triangles[hits[0]], low + size / 2)[:2])
    assert shared > 3  # cells touched by several faces take the lowest one
    # The octree's deepest cells, in its (morton) order, are the brute force's cells.
    cells = _cells(octree, level)
    assert sorted(map(tuple, cells.tolist())) == expected_cells
    order = [expected_cells.index(tuple(c)) for c in cells.tolist()]
    assert face_idx.tolist() == [expected_faces[i] for i in order]
    assert np.allclose(weights.numpy(), np.array(expected_weights)[order], atol=1e-9)
    assert weights.dtype == torch.float64


def test_nothing_inside_and_bad_input():
    octree, face_idx, weights = unbatched_mesh_to_spc(torch.full((1, 3, 3), 3.0), 2)
    assert octree.shape == (0,) and face_idx.shape == (0,) and weights.shape == (0, 2)
    with pytest.raises(PipelineError, match="face_vertices"):
        unbatched_mesh_to_spc(torch.zeros(2, 4, 3), 2)
    with pytest.raises(PipelineError, match="level"):
        unbatched_mesh_to_spc(torch.zeros(2, 3, 3), -1)
