"""Kaolin's batched grid conversions (``ops.conversions.grids``) and farthest point sampling against hand-made
grids, closed-surface checks and a brute-force greedy reference."""
import numpy as np
import pytest
import torch

from kaolin_pipeline.errors import ArgumentTypeError, PipelineError
from kaolin_pipeline.ops.conversions import (
    pointclouds_to_voxelgrids,
    voxelgrids_to_cubic_meshes,
    voxelgrids_to_trianglemeshes,
)
from kaolin_pipeline.ops.pointcloud import farthest_point_sampling


def test_pointclouds_round_to_voxel_centres():
    points = torch.tensor([[[0.0, 0, 0], [1, 1, 1], [2, 2, 2], [0.9, 0.2, 2.0]]])
    grid = pointclouds_to_voxelgrids(points, 3)  # origin 0, scale 2: index = round(p / 2 * 2)
    expected = torch.zeros(1, 3, 3, 3)
    for i, j, k in [(0, 0, 0), (1, 1, 1), (2, 2, 2), (1, 0, 2)]:
        expected[0, i, j, k] = 1
    assert torch.equal(grid, expected)
    # An explicit box drops what falls outside it; sparse output holds the same grid.
    grid = pointclouds_to_voxelgrids(points, 3, origin=torch.zeros(1, 3), scale=torch.ones(1), return_sparse=True)
    assert grid.is_sparse and torch.equal(grid.to_dense()[0, 0, 0, 0], torch.tensor(1.0))
    # index = round(2 p): (0,0,0) -> 0, (1,1,1) -> (2,2,2); (2,2,2) -> 4 and (0.9,0.2,2) -> (2,0,4) are outside.
    assert int(grid.to_dense().sum()) == 2 and grid.to_dense()[0, 2, 2, 2] == 1
    with pytest.raises(ArgumentTypeError, match="resolution"):
        pointclouds_to_voxelgrids(points, 3.0)


def _closed_and_outward(vertices, faces):
    tris = faces if faces.shape[1] == 3 else torch.cat([faces[:, :3], faces[:, [0, 2, 3]]])
    edges = torch.cat([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]])
    closed = torch.equal(torch.unique(edges, dim=0), torch.unique(edges.flip(1), dim=0)) \
        and torch.unique(edges, dim=0).shape[0] == edges.shape[0]
    v = vertices.double()[tris]
    return closed, float(torch.linalg.det(v).sum() / 6)


def test_cubic_meshes_of_hand_made_grids():
    grids = torch.zeros(3, 3, 3, 3)
    grids[0, 1, 1, 1] = 1  # one cube
    grids[1, 0, :, 0] = 1  # a row of three: 2 end squares + 4 sides x 3
    grids[2, :2, :2, :2] = 1  # a 2x2x2 block
    grids[2, 2, 2, 2] = 1  # touching it only at a corner
    vertices, faces = voxelgrids_to_cubic_meshes(grids)
    torch.testing.assert_close(vertices[0], torch.tensor([[x, y, z] for x in (1.0, 2.0) for y in (1.0, 2.0)
                                                          for z in (1.0, 2.0)]))
    assert [f.shape[0] for f in faces] == [12, 2 * (2 + 4 * 3), 2 * (24 + 6)]
    for v, f, volume in zip(vertices, faces, [1, 3, 9]):
        closed, signed_volume = _closed_and_outward(v, f)
        assert closed or volume == 9  # the corner-touching pair shares an edge-less vertex only
        assert signed_volume == pytest.approx(volume)
    # Quads go round clockwise seen from outside (Kaolin's order): the cube's signed volume is -1 through them.
    quads_v, quads = voxelgrids_to_cubic_meshes(grids[:1], is_trimesh=False)
    assert quads[0].shape == (6, 4) and _closed_and_outward(quads_v[0], quads[0]) == (True, pytest.approx(-1.0))
    # Kaolin's order by hand for one cube: the x = 0 square first, from (0,0,0) along y then z; the triangles
    # are (q0, q3, q1) of every quad, then (q2, q1, q3); corners are numbered x-major (0,0,0) (0,0,1) (0,1,0) ...
    vertices, faces = voxelgrids_to_cubic_meshes(torch.ones(1, 1, 1, 1), is_trimesh=False)
    # (the +x, +y, +z squares are reversed, as they bound the cube from below their plane's empty side)
    quads = [[0, 2, 3, 1], [5, 7, 6, 4], [0, 1, 5, 4], [6, 7, 3, 2], [0, 4, 6, 2], [3, 7, 5, 1]]
    assert faces[0].tolist() == quads
    _, triangles = voxelgrids_to_cubic_meshes(torch.ones(1, 1, 1, 1))
    assert triangles[0].tolist() == [[q[0], q[3], q[1]] for q in quads] + [[q[2], q[1], q[3]] for q in quads]
    assert triangles[0][:2].tolist() == [[0, 1, 2], [5, 4, 7]]  # as Kaolin's documentation prints


def test_marching_cubes_of_a_ball():
    axis = torch.arange(16, dtype=torch.float32)
    x, y, z = torch.meshgrid(axis, axis, axis, indexing="ij")
    ball = (((x - 7.5) ** 2 + (y - 7.5) ** 2 + (z - 7.5) ** 2) < 36).float()
    vertices, faces = voxelgrids_to_trianglemeshes(torch.stack([ball, torch.zeros_like(ball)]))
    closed, volume = _closed_and_outward(vertices[0], faces[0])
    assert closed and volume == pytest.approx(float(ball.sum()), rel=0.05)  # about one unit per voxel
    centre = vertices[0].mean(0)
    torch.testing.assert_close(centre, torch.full((3,), 8.5), atol=0.05, rtol=0)  # padded coordinates: +1
    assert vertices[1].shape == (0, 3) and faces[1].shape == (0, 3)
    with pytest.raises(PipelineError, match="voxelgrids"):
        voxelgrids_to_trianglemeshes(ball)


def _greedy(points):
    """Brute-force farthest point sampling over all points, float64, one Python step per pick."""
    points = points.double().numpy()
    chosen = [int(np.argmax(((points - points.mean(0)) ** 2).sum(-1)))]
    while len(chosen) < len(points):
        d = ((points[:, None] - points[chosen][None]) ** 2).sum(-1).min(1)
        d[chosen] = -1
        chosen.append(int(np.argmax(d)))
    return chosen


def test_farthest_point_sampling_matches_brute_force():
    points = torch.rand(2, 60, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    picks = farthest_point_sampling(points, 60)
    assert picks.shape == (2, 60)
    for b in range(2):
        assert picks[b].tolist() == _greedy(points[b])
    points[0, 5] = float("nan")
    picks = farthest_point_sampling(points, 60)
    assert picks[0, -1] == 5 and sorted(picks[0].tolist()) == list(range(60))
    assert farthest_point_sampling(points, 0).shape == (2, 0)
    with pytest.raises(PipelineError, match="k must"):
        farthest_point_sampling(points, 61)
    with pytest.raises(AssertionError, match="k must"):  # Kaolin asserts k <= num_points
        farthest_point_sampling(points, 61)


def _midpoint_samples(triangle, resolution):
    """Kaolin's sample points of one triangle, recursively: its corners and the midpoints of every split,
    splitting while the longest squared side exceeds ((R - 1) / R^2)^2."""
    threshold = ((resolution - 1) / resolution ** 2) ** 2
    points = [tuple(p) for p in triangle]

    def split(a, b, c):
        if max(sum((p - q) ** 2 for p, q in zip(u, w)) for u, w in ((a, b), (b, c), (c, a))) <= threshold:
            return
        ab, bc, ca = (tuple((p + q) / 2 for p, q in zip(u, w)) for u, w in ((a, b), (b, c), (c, a)))
        points.extend((ab, bc, ca))
        for child in ((a, ab, ca), (ab, b, bc), (ca, bc, c), (ab, bc, ca)):
            split(*child)

    split(*points)
    return np.array(points)


def test_trianglemeshes_to_voxelgrids_by_hand_and_by_recursive_sampling():
    from kaolin_pipeline.ops.conversions import trianglemeshes_to_voxelgrids

    square = torch.tensor([[[0.0, 0.0, 0.3], [1.0, 0.0, 0.3], [1.0, 1.0, 0.3], [0.0, 1.0, 0.3]]])
    faces = torch.tensor([[0, 1, 2], [0, 2, 3]])
    grid = trianglemeshes_to_voxelgrids(square, faces, 5, origin=torch.zeros(1, 3), scale=torch.ones(1))
    expected = torch.zeros(1, 5, 5, 5)
    expected[0, :, :, 1] = 1  # z = 0.3 -> 1.2 voxel units rounds to layer 1; the samples reach every x, y layer
    assert torch.equal(grid, expected)
    # Kaolin's rule misses voxels a triangle only touches: x + z <= 1 touches voxel (x 1, z 2) at its corner
    # (0.25, 0.75), but no sample rounds into it.
    right = torch.tensor([[[0.0, 0, 0], [1, 0, 0], [0, 0, 1]]])
    grid = trianglemeshes_to_voxelgrids(right, torch.tensor([[0, 1, 2]]), 3, torch.zeros(1, 3), torch.ones(1))
    assert grid[0, :, 0].tolist() == [[1, 1, 1], [1, 1, 0], [1, 0, 0]] and int(grid.sum()) == 6
    # A batch of random triangles: the voxels their recursive samples round into, each item on its own.
    triangles = torch.rand(2, 3, 3, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    grid = trianglemeshes_to_voxelgrids(triangles, torch.tensor([[0, 1, 2]]), 8, origin=torch.zeros(2, 3),
                                        scale=torch.ones(2))
    for item in range(2):
        index = np.round(_midpoint_samples(triangles[item].tolist(), 8) * 7).astype(int)
        expected = np.zeros((8, 8, 8))
        expected[index[:, 0], index[:, 1], index[:, 2]] = 1
        assert int(expected.sum()) > 10 and np.array_equal(grid[item].numpy(), expected)
