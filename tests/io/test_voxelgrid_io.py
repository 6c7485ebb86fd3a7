"""load_voxelgrid / save_voxelgrid: hand-made binvox bytes, trimesh's reading, round trips with the box."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import trimesh

from kaolin_pipeline.structures import VoxelGrid
from kaolin_pipeline.io.voxelgrid import load_voxelgrid, save_voxelgrid
from kaolin_pipeline.errors import LoadError, SaveError


def _binvox(dim: int, runs: list[tuple[int, int]], translate="0 0 0", scale="1") -> bytes:
    header = f"#binvox 1\ndim {dim} {dim} {dim}\ntranslate {translate}\nscale {scale}\ndata\n".encode()
    return header + bytes(b for run in runs for b in run)


# binvox: linear index = x * dim * dim + z * dim + y (y fastest, then z, then x)
@pytest.mark.parametrize(
    "linear_index, xyz",
    [(1, (0, 1, 0)), (2, (0, 0, 1)), (4, (1, 0, 0)), (6, (1, 0, 1)), (3, (0, 1, 1))],
)
def test_binvox_axis_order_hand_made(tmp_path, linear_index, xyz):
    runs = [(0, linear_index), (1, 1), (0, 7 - linear_index)]
    runs = [run for run in runs if run[1] > 0]
    path = tmp_path / "one.binvox"
    path.write_bytes(_binvox(2, runs))
    grid = load_voxelgrid(path)
    expected = torch.zeros(2, 2, 2, dtype=torch.bool)
    expected[xyz] = True
    assert grid.occupancy.dtype == torch.bool
    assert torch.equal(grid.occupancy, expected)


def test_binvox_header_gives_box(tmp_path):
    path = tmp_path / "box.binvox"
    path.write_bytes(_binvox(4, [(1, 64)], translate="-0.5 0.25 2", scale="3.5"))
    grid = load_voxelgrid(path)
    assert grid.occupancy.all() and grid.resolution == 4
    torch.testing.assert_close(grid.origin, torch.tensor([-0.5, 0.25, 2.0]))
    assert grid.size == pytest.approx(3.5)


def test_binvox_matches_trimesh_reading(tmp_path):
    rng = np.random.default_rng(5)
    occupancy = rng.random((6, 6, 6)) > 0.6
    path = tmp_path / "random.binvox"
    save_voxelgrid(path, VoxelGrid(torch.from_numpy(occupancy), torch.tensor([1.0, 2.0, 3.0]), 0.5))
    # trimesh decodes binvox with its own axis handling (xzy on disk -> xyz in memory)
    reference = trimesh.load(str(path)).encoding.dense
    np.testing.assert_array_equal(reference, occupancy)
    np.testing.assert_array_equal(load_voxelgrid(path).occupancy.numpy(), occupancy)


def _random_grid(resolution: int = 9) -> VoxelGrid:
    generator = torch.Generator().manual_seed(resolution)
    occupancy = torch.rand(resolution, resolution, resolution, generator=generator) > 0.5
    return VoxelGrid(occupancy, torch.tensor([-1.25, 0.5, 3.0]), 2.75)


@pytest.mark.parametrize("ext", ["binvox", "npz", "usda"])
def test_round_trip_with_box(tmp_path, ext):
    grid = _random_grid()
    path = tmp_path / f"grid.{ext}"
    save_voxelgrid(path, grid)
    loaded = load_voxelgrid(path)
    assert torch.equal(loaded.occupancy, grid.occupancy)
    torch.testing.assert_close(loaded.origin, grid.origin)
    assert loaded.size == pytest.approx(grid.size)


def test_npy_round_trip_unit_box(tmp_path):
    grid = VoxelGrid(_random_grid(5).occupancy)
    save_voxelgrid(tmp_path / "grid.npy", grid)
    loaded = load_voxelgrid(tmp_path / "grid.npy")
    assert torch.equal(loaded.occupancy, grid.occupancy)
    assert torch.equal(loaded.origin, torch.zeros(3)) and loaded.size == 1.0


def test_npy_of_zeros_and_ones_is_read_as_bool(tmp_path):
    array = np.zeros((3, 3, 3), dtype=np.uint8)
    array[2, 0, 1] = 1
    np.save(tmp_path / "grid.npy", array)
    occupancy = load_voxelgrid(tmp_path / "grid.npy").occupancy
    assert occupancy.dtype == torch.bool and occupancy.sum() == 1 and occupancy[2, 0, 1]


def test_npy_refuses_grid_with_other_box(tmp_path):
    with pytest.raises(SaveError, match=r"\.npz or \.binvox"):
        save_voxelgrid(tmp_path / "grid.npy", _random_grid(3))


def test_npz_with_non_binary_values(tmp_path):
    path = tmp_path / "grid.npz"
    np.savez(path, occupancy=np.full((2, 2, 2), 0.5))
    with pytest.raises(LoadError, match="occupancy must hold only 0/1"):
        load_voxelgrid(path)


def test_npz_non_cubic(tmp_path):
    path = tmp_path / "grid.npz"
    np.savez(path, occupancy=np.zeros((2, 3, 2), dtype=bool))
    with pytest.raises(LoadError, match=r"cubic \(R, R, R\).*\(2, 3, 2\)"):
        load_voxelgrid(path)


def test_float_occupancy_saved_as_bool(tmp_path):
    grid = _random_grid(4)
    save_voxelgrid(tmp_path / "grid.npz", VoxelGrid(grid.occupancy.float(), grid.origin, grid.size))
    assert torch.equal(load_voxelgrid(tmp_path / "grid.npz").occupancy, grid.occupancy)
