"""Voxelisation, marching cubes and point voxelisation against analytic volumes, trimesh and hand cases."""
import math

import numpy as np
import pytest
import torch
import trimesh

from kaolin_pipeline.structures import VoxelGrid
from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops import mesh_to_voxelgrid, pointcloud_to_voxelgrid, voxelgrid_to_mesh


def _tensors(mesh):
    return torch.tensor(mesh.vertices, dtype=torch.float32), torch.tensor(mesh.faces, dtype=torch.long)


def _occupied_volume(grid):
    return int(grid.occupancy.sum()) * grid.voxel_size ** 3


def _voxels_of(points, grid):
    """Voxel indices (N, 3) containing world ``points`` (N, 3), computed here from the grid's definition."""
    return np.floor((points - grid.origin.numpy()) / grid.voxel_size).astype(int)


@pytest.mark.parametrize("radius, centre", [(1.0, (0.0, 0.0, 0.0)), (0.37, (2.0, -1.0, 0.5))])
def test_solid_sphere_volume_within_two_percent(radius, centre):
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=radius)
    sphere.apply_translation(centre)
    grid = mesh_to_voxelgrid(*_tensors(sphere), 64, mode="solid")
    assert grid.occupancy.shape == (64, 64, 64) and grid.occupancy.dtype == torch.bool
    analytic = 4.0 / 3.0 * math.pi * radius ** 3
    assert abs(_occupied_volume(grid) - analytic) / analytic < 0.02


def test_solid_cube_volume_and_symmetric_columns():
    box = trimesh.creation.box(extents=(2.0, 1.0, 1.5))  # 12 faces, diagonals shared by face pairs
    grid = mesh_to_voxelgrid(*_tensors(box), 64, mode="solid")
    assert abs(_occupied_volume(grid) - 3.0) / 3.0 < 0.02
    # Every column is an interval of voxels (no parity glitch where a ray hits a shared diagonal).
    occupancy = grid.occupancy.numpy()
    changes = np.abs(np.diff(occupancy.astype(int), axis=2, prepend=0, append=0)).sum(axis=2)
    assert set(np.unique(changes)) <= {0, 2}


def test_solid_given_box_by_hand():
    box = trimesh.creation.box(extents=(1.0, 1.0, 1.0))  # spans [-0.5, 0.5]^3
    grid = mesh_to_voxelgrid(*_tensors(box), 8, origin=(-1.0, -1.0, -1.0), size=2.0, mode="solid")
    # Voxel size 0.25: centres -0.875 + 0.25 k lie inside for k = 2..5.
    expected = np.zeros((8, 8, 8), dtype=bool)
    expected[2:6, 2:6, 2:6] = True
    np.testing.assert_array_equal(grid.occupancy.numpy(), expected)
    assert torch.equal(grid.origin, torch.tensor([-1.0, -1.0, -1.0])) and grid.size == 2.0


def test_surface_covers_every_surface_point():
    mesh = trimesh.creation.icosphere(subdivisions=3)
    mesh.vertices *= np.random.default_rng(0).uniform(0.7, 1.2, size=(len(mesh.vertices), 1))
    grid = mesh_to_voxelgrid(*_tensors(mesh), 32, mode="surface")
    points = trimesh.sample.sample_surface(mesh, 20000, seed=1)[0]
    cells = _voxels_of(points, grid)
    assert grid.occupancy.numpy()[cells[:, 0], cells[:, 1], cells[:, 2]].all()


def test_surface_voxels_stay_within_half_a_diagonal_of_a_sphere():
    sphere = trimesh.creation.icosphere(subdivisions=3)
    grid = mesh_to_voxelgrid(*_tensors(sphere), 32, mode="surface")
    centres = grid.origin.numpy() + (np.argwhere(grid.occupancy.numpy()) + 0.5) * grid.voxel_size
    normals, corners = sphere.face_normals, sphere.vertices[sphere.faces[:, 0]]
    inradius = np.abs((normals * corners).sum(axis=1)).min()  # the polyhedron lies between inradius and 1
    reach = math.sqrt(3) / 2 * grid.voxel_size * (1 + 1e-4)
    radii = np.linalg.norm(centres, axis=1)
    assert radii.min() >= inradius - reach and radii.max() <= 1 + reach


def _triangle_meets_cube_lp(triangle, low):
    """Independent reference: is some convex combination of the corners inside the cube [low, low + 1]?"""
    from scipy.optimize import linprog

    bounds_matrix = np.vstack([triangle.T, -triangle.T])  # (6, 3) acting on barycentric weights
    bounds_vector = np.concatenate([low + 1.0, -low])
    result = linprog(np.zeros(3), A_ub=bounds_matrix, b_ub=bounds_vector, A_eq=np.ones((1, 3)), b_eq=[1.0], bounds=[(0, None)] * 3)
    return result.status == 0


def test_surface_matches_linear_programming_reference_on_tilted_triangles():
    rng = np.random.default_rng(4)
    for _ in range(3):
        triangle = rng.uniform(0.0, 5.0, size=(3, 3))
        grid = mesh_to_voxelgrid(torch.tensor(triangle), torch.tensor([[0, 1, 2]]), 5, origin=(0.0, 0.0, 0.0), size=5.0)
        expected = np.zeros((5, 5, 5), dtype=bool)
        for cell in np.ndindex(5, 5, 5):
            expected[cell] = _triangle_meets_cube_lp(triangle, np.array(cell, dtype=float))
        np.testing.assert_array_equal(grid.occupancy.numpy(), expected)


def test_surface_of_flat_triangle_by_hand():
    # In voxel units (origin 0, size 8, R 8): legs from (0.5, 0.5) to x + y = 4.2, at height z = 2.5.
    vertices = torch.tensor([[0.5, 0.5, 2.5], [3.7, 0.5, 2.5], [0.5, 3.7, 2.5]])
    grid = mesh_to_voxelgrid(vertices, torch.tensor([[0, 1, 2]]), 8, origin=(0.0, 0.0, 0.0), size=8.0)
    expected = np.zeros((8, 8, 8), dtype=bool)
    for i in range(8):
        for j in range(8):
            expected[i, j, 2] = i <= 3 and j <= 3 and i + j <= 4  # lower-left corner (i, j) below x + y = 4.2
    np.testing.assert_array_equal(grid.occupancy.numpy(), expected)


def test_marching_cubes_of_voxelised_sphere_is_closed_with_sphere_volume():
    sphere = trimesh.creation.icosphere(subdivisions=3)
    grid = mesh_to_voxelgrid(*_tensors(sphere), 32, mode="solid")
    mesh = voxelgrid_to_mesh(grid)
    assert mesh.vertices.dtype == torch.float32 and mesh.faces.dtype == torch.int64
    surface = trimesh.Trimesh(mesh.vertices.numpy(), mesh.faces.numpy(), process=True)
    assert surface.is_watertight
    assert surface.volume > 0  # counter-clockwise seen from outside
    assert abs(surface.volume - 4.0 / 3.0 * math.pi) / (4.0 / 3.0 * math.pi) < 0.05
    # Voxelising the extracted surface on the same box gives the grid back: centres are half a voxel from it.
    again = mesh_to_voxelgrid(mesh.vertices, mesh.faces, 32, origin=grid.origin, size=grid.size, mode="solid")
    assert torch.equal(again.occupancy, grid.occupancy)


def test_marching_cubes_single_voxel_by_hand():
    occupancy = torch.zeros(3, 3, 3, dtype=torch.bool)
    occupancy[1, 2, 0] = True
    grid = VoxelGrid(occupancy=occupancy, origin=torch.tensor([10.0, 0.0, 0.0]), size=3.0)
    mesh = voxelgrid_to_mesh(grid)
    # Level 0.5 lies halfway between the voxel centre (11.5, 2.5, 0.5) and its six neighbours' centres.
    np.testing.assert_allclose(mesh.vertices.mean(dim=0).numpy(), [11.5, 2.5, 0.5], atol=1e-6)
    np.testing.assert_allclose(mesh.vertices.numpy().min(axis=0), [11.0, 2.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(mesh.vertices.numpy().max(axis=0), [12.0, 3.0, 1.0], atol=1e-6)
    assert trimesh.Trimesh(mesh.vertices.numpy(), mesh.faces.numpy()).volume > 0


def test_pointcloud_to_voxelgrid_by_hand():
    points = torch.tensor([[0.5, 0.5, 0.5], [3.9, 0.0, 2.0], [4.0, 4.0, 4.0], [5.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    grid = pointcloud_to_voxelgrid(points, 4, origin=torch.zeros(3), size=4.0)
    assert sorted(map(tuple, grid.occupancy.nonzero().tolist())) == [(0, 0, 0), (1, 0, 0), (3, 0, 2), (3, 3, 3)]
    # Default box: the points' bounding cube (extent 4.5 along x), enlarged by 1 + 2 / R around its centre.
    fitted = pointcloud_to_voxelgrid(points, 4)
    assert fitted.size == pytest.approx(4.5 * 1.5)
    np.testing.assert_allclose(fitted.origin.numpy(), np.array([2.75, 2.0, 2.0]) - 4.5 * 1.5 / 2)
    cells = _voxels_of(points.numpy(), fitted)
    expected = np.zeros((4, 4, 4), dtype=bool)
    expected[cells[:, 0], cells[:, 1], cells[:, 2]] = True
    np.testing.assert_array_equal(fitted.occupancy.numpy(), expected)


def test_bad_arguments():
    vertices, faces = _tensors(trimesh.creation.box())
    with pytest.raises(PipelineError, match="mode"):
        mesh_to_voxelgrid(vertices, faces, 8, mode="hollow")
    with pytest.raises(PipelineError, match="resolution"):
        mesh_to_voxelgrid(vertices, faces, 0)
    with pytest.raises(PipelineError, match="size"):
        mesh_to_voxelgrid(vertices, faces, 8, size=-1.0)
    with pytest.raises(PipelineError, match="origin"):
        mesh_to_voxelgrid(vertices, faces, 8, origin=(0.0, 0.0))
    with pytest.raises(PipelineError, match="vertices"):
        mesh_to_voxelgrid(vertices[None], faces, 8)
    with pytest.raises(PipelineError, match="zero extent"):
        pointcloud_to_voxelgrid(torch.ones(3, 3), 8)
    with pytest.raises(PipelineError, match="no voxel"):
        voxelgrid_to_mesh(VoxelGrid(occupancy=torch.zeros(4, 4, 4, dtype=torch.bool)))
    with pytest.raises(PipelineError, match="level"):
        voxelgrid_to_mesh(VoxelGrid(occupancy=torch.ones(4, 4, 4, dtype=torch.bool)), level=1.0)
