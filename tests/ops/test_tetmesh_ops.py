"""ops.tetmesh against independent references: scipy's convex-hull volume, NumPy inverses, hand-derived AMIPS
values (3 for any similarity, 0 for an inverted tetrahedron), and volume conservation under subdivision."""
import numpy as np
import pytest
import torch
from scipy.spatial import ConvexHull

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops.tetmesh import (amips, equivolume, inverse_vertices_offset, subdivide_tetmesh,
                                         tetrahedron_volume)


def _tets(seed, batch=2, count=5):
    return torch.rand(batch, count, 4, 3, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_volume_is_signed_and_matches_the_convex_hull():
    tets = _tets(0)
    volumes = tetrahedron_volume(tets)
    hulls = [[ConvexHull(tet.numpy()).volume for tet in mesh] for mesh in tets]
    assert np.allclose(volumes.abs().numpy(), hulls, rtol=1e-10)
    unit = torch.tensor([[[[0.0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]]], dtype=torch.float64)
    assert tetrahedron_volume(unit).item() == pytest.approx(-1 / 6)  # (A - D) . ((B - D) x (C - D)) / 6
    assert tetrahedron_volume(unit[:, :, [1, 0, 2, 3]]).item() == pytest.approx(1 / 6)
    with pytest.raises(PipelineError, match="tet_vertices"):
        tetrahedron_volume(unit[0])


def test_inverse_offset_against_numpy_and_equivolume_by_hand():
    tets = _tets(1)
    offsets = (tets[:, :, 1:] - tets[:, :, :1]).numpy()
    assert np.allclose(inverse_vertices_offset(tets).numpy(), np.linalg.inv(offsets), rtol=1e-9)
    volumes = tetrahedron_volume(tets).numpy()
    expected = (np.abs(volumes - volumes.mean(axis=1, keepdims=True)) ** 2).mean(axis=1, keepdims=True)
    assert np.allclose(equivolume(tets, pow=2).numpy(), expected, rtol=1e-12)
    given = torch.tensor([0.1, 0.2], dtype=torch.float64)
    expected = (np.abs(volumes - given.numpy()[:, None]) ** 4).mean(axis=1, keepdims=True)
    assert np.allclose(equivolume(tets, given).numpy(), expected, rtol=1e-12)


def test_amips_by_hand():
    # J = offsets(deformed) @ inverse(offsets(rest)), offsets as rows B - A, C - A, D - A
    rest = _tets(2, batch=1, count=3)
    inverse = inverse_vertices_offset(rest)
    assert torch.allclose(amips(rest + 0.3, inverse), torch.tensor([[3.0]], dtype=torch.float64))  # J = I
    corner = torch.tensor([[[[0.0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]]], dtype=torch.float64)  # offsets = I
    rotation = torch.tensor([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]], dtype=torch.float64)
    turned = 2.5 * corner @ rotation.T  # J = 2.5 R^T: trace 3 * 6.25 over det^(2/3) = 6.25
    assert torch.allclose(amips(turned, inverse_vertices_offset(corner)), torch.tensor([[3.0]], dtype=torch.float64))
    stretched = corner * torch.tensor([2.0, 1, 1], dtype=torch.float64)  # J = diag(2, 1, 1): (4+1+1) / 4^(1/3)
    assert torch.allclose(amips(stretched, inverse_vertices_offset(corner)),
                          torch.tensor([[6.0 / 4 ** (1 / 3)]], dtype=torch.float64))
    mirrored = rest * torch.tensor([-1.0, 1, 1], dtype=torch.float64)  # det(J) < 0 everywhere: not counted
    assert torch.equal(amips(mirrored, inverse), torch.zeros(1, 1, dtype=torch.float64))
    deformed = (rest + 0.05 * _tets(3, batch=1, count=3)).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: amips(t, inverse), (deformed,))


def test_subdivision_keeps_volume_and_averages_features():
    vertices = torch.tensor([[[0.0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]]], dtype=torch.float64)
    tetrahedrons = torch.tensor([[0, 1, 2, 3], [1, 2, 3, 4]])
    features = torch.arange(5, dtype=torch.float64).reshape(1, 5, 1)
    new_vertices, new_tets, new_features = subdivide_tetmesh(vertices, tetrahedrons, features)
    assert new_vertices.shape == (1, 5 + 9, 3) and new_tets.shape == (16, 4)  # 9 distinct edges
    assert torch.equal(new_vertices[:, :5], vertices)
    parents = tetrahedron_volume(vertices[:, tetrahedrons])
    children = tetrahedron_volume(new_vertices[:, new_tets]).reshape(8, 2)  # grouped by kind
    assert torch.allclose(children.abs(), (parents.abs() / 8).expand(8, 2), rtol=1e-12)
    assert (new_tets[:2] == tetrahedrons[:, :1]).any(dim=1).all()  # first kind: the corner-a children
    for index in range(5, 14):  # every new vertex is the midpoint of an edge, with the mean feature
        ends = [i for i in range(5) for j in range(i + 1, 5)
                if torch.allclose(new_vertices[0, index], (vertices[0, i] + vertices[0, j]) / 2)
                and new_features[0, index, 0] == (i + j) / 2]
        assert len(ends) == 1
    assert subdivide_tetmesh(vertices, tetrahedrons)[1].equal(new_tets)
