"""Marching tetrahedra (``ops.conversions.marching_tetrahedra``): a single tet with hand-computed
crossings, gradcheck, and a sphere SDF on a tet grid against its analytic volume and watertightness."""
import math

import pytest
import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops.conversions import marching_tetrahedra

CORNERS = torch.tensor([[0.0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=torch.float64)  # positive volume
TET = torch.tensor([[0, 1, 2, 3]])


def _normals(vertices, faces):
    v = vertices[faces]
    return torch.linalg.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0], dim=-1)


def test_single_tet_two_and_two():
    sdf = torch.tensor([[-1.0, -1.0, 0.5, 0.5]], dtype=torch.float64)
    (vertices,), (faces,), (tet_idx,) = marching_tetrahedra(CORNERS[None], TET, sdf, return_tet_idx=True)
    # Crossing edges in sorted order (0,2), (0,3), (1,2), (1,3); zero at 2/3 of the way from the negative end.
    expected = torch.tensor([[0, 2 / 3, 0], [0, 0, 2 / 3], [1 / 3, 2 / 3, 0], [1 / 3, 0, 2 / 3]], dtype=torch.float64)
    torch.testing.assert_close(vertices, expected)
    assert faces.shape == (2, 3) and tet_idx.tolist() == [0, 0]
    assert sorted(set(faces.flatten().tolist())) == [0, 1, 2, 3]
    # Both triangles lie in the plane y + z = 2/3 and face the positive corners 2 and 3 (+y, +z).
    assert torch.allclose(vertices[:, 1] + vertices[:, 2], torch.full((4,), 2 / 3, dtype=torch.float64))
    normals = _normals(vertices, faces)
    assert (normals[:, 1] > 0).all() and (normals[:, 2] > 0).all() and normals[:, 0].abs().max() < 1e-12


@pytest.mark.parametrize("apex", range(4))
def test_single_tet_one_corner_apart(apex):
    sdf = torch.full((1, 4), -1.0, dtype=torch.float64)
    sdf[0, apex] = 3.0  # the surface cuts each edge from the apex at 3/4 of its length
    (vertices,), (faces,) = marching_tetrahedra(CORNERS[None], TET, sdf)
    others = [i for i in range(4) if i != apex]
    expected = torch.stack([CORNERS[apex] + 0.75 * (CORNERS[o] - CORNERS[apex]) for o in others])
    torch.testing.assert_close(vertices, expected)  # edges (apex, o) sorted by o, as the output order says
    assert faces.shape == (1, 3)
    assert float(_normals(vertices, faces)[0] @ (CORNERS[apex] - vertices[0])) > 0  # faces the positive apex
    # All four corners negative or positive: no surface.
    empty_vertices, empty_faces = marching_tetrahedra(CORNERS[None], TET, -sdf.abs())
    assert empty_vertices[0].shape == (0, 3) and empty_faces[0].shape == (0, 3)


def test_gradients_in_vertices_and_sdf():
    vertices = (CORNERS + 0.1 * torch.rand(4, 3, dtype=torch.float64))[None].requires_grad_()
    sdf = torch.tensor([[-1.0, -0.7, 0.5, 0.8]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v, s: marching_tetrahedra(v, TET, s)[0][0], (vertices, sdf))


def _tet_grid(n):
    """A cube [-1, 1]^3 of n^3 cells, 6 positively oriented tets each (Kuhn split)."""
    axis = torch.linspace(-1, 1, n + 1, dtype=torch.float64)
    points = torch.stack(torch.meshgrid(axis, axis, axis, indexing="ij"), -1).reshape(-1, 3)
    index = torch.arange((n + 1) ** 3).reshape(n + 1, n + 1, n + 1)
    cells = torch.stack(torch.meshgrid(*[torch.arange(n)] * 3, indexing="ij"), -1).reshape(-1, 3)
    tets = []
    for perm in [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)]:
        path = [cells.clone()]
        for axis_id in perm:
            step = path[-1].clone()
            step[:, axis_id] += 1
            path.append(step)
        tets.append(torch.stack([index[p[:, 0], p[:, 1], p[:, 2]] for p in path], -1))
    tets = torch.cat(tets)
    corners = points[tets]
    volume = torch.linalg.det(corners[:, 1:] - corners[:, :1])
    tets[volume < 0] = tets[volume < 0][:, [1, 0, 2, 3]]
    return points, tets


def test_sphere_is_closed_with_the_right_volume():
    points, tets = _tet_grid(16)
    radius = 0.7
    sdf = radius - points.norm(dim=-1)  # positive inside
    (vertices,), (faces,) = marching_tetrahedra(points[None], tets, sdf[None])
    edges = torch.cat([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    # Watertight and consistently wound: every directed edge appears once and its reverse once.
    assert torch.unique(edges, dim=0).shape[0] == edges.shape[0]
    assert torch.equal(torch.unique(edges, dim=0), torch.unique(edges.flip(1), dim=0))
    assert torch.allclose(vertices.norm(dim=-1), torch.full((vertices.shape[0],), radius, dtype=torch.float64), atol=0.03)
    v = vertices[faces]
    signed_volume = float(torch.linalg.det(v).sum() / 6)
    # Normals face the positive side (inwards here), so the divergence theorem gives minus the volume.
    assert signed_volume < 0 and abs(-signed_volume - 4 / 3 * math.pi * radius ** 3) / (4 / 3 * math.pi * radius ** 3) < 0.03


def test_bad_arguments_are_named():
    with pytest.raises(PipelineError, match="sdf"):
        marching_tetrahedra(CORNERS[None], TET, torch.zeros(1, 5))
    with pytest.raises(PipelineError, match="tets"):
        marching_tetrahedra(CORNERS[None], TET.float(), torch.zeros(1, 4))
