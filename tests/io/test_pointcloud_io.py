"""load_pointcloud / save_pointcloud: round trips per format, independent writers, NumPy layouts."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import trimesh

from kaolin_pipeline.io.pointcloud import load_pointcloud, save_pointcloud
from kaolin_pipeline.structures import PointCloud
from kaolin_pipeline.errors import LoadError, SaveError


def _cloud(num_points: int = 64) -> PointCloud:
    generator = torch.Generator().manual_seed(7)
    return PointCloud(
        points=torch.rand(num_points, 3, generator=generator) * 20 - 10,
        normals=torch.nn.functional.normalize(torch.randn(num_points, 3, generator=generator), dim=1),
        colors=torch.rand(num_points, 3, generator=generator),
    )


def _quantized(colors: torch.Tensor) -> torch.Tensor:
    return torch.round(colors * 255) / 255


# format -> (fields stored, position tolerance, colours stored as 8 bits)
FORMATS = {
    "ply": (("normals", "colors"), 0.0, True),
    "pcd": (("normals", "colors"), 0.0, True),
    "xyz": ((), 1e-6, False),
    "xyzn": (("normals",), 1e-6, False),
    "xyzrgb": (("colors",), 1e-6, False),
    "pts": (("colors",), 1e-6, True),
    "npz": (("normals", "colors"), 0.0, False),
    "npy": (("normals", "colors"), 0.0, False),
}


@pytest.mark.parametrize("ext", sorted(FORMATS))
def test_round_trip(tmp_path, ext):
    fields, atol, eight_bit = FORMATS[ext]
    cloud = _cloud()
    path = tmp_path / f"cloud.{ext}"
    save_pointcloud(path, cloud)
    loaded = load_pointcloud(path)
    assert loaded.points.dtype == torch.float32 and loaded.points.shape == (64, 3)
    torch.testing.assert_close(loaded.points, cloud.points, atol=atol, rtol=0)
    if "normals" in fields:
        torch.testing.assert_close(loaded.normals, cloud.normals, atol=1e-6, rtol=0)
    else:
        assert loaded.normals is None
    if "colors" in fields:
        expected = _quantized(cloud.colors) if eight_bit else cloud.colors
        torch.testing.assert_close(loaded.colors, expected, atol=1e-6, rtol=0)
    else:
        assert loaded.colors is None


def test_ply_written_by_trimesh(tmp_path):
    rng = np.random.default_rng(1)
    points = rng.normal(size=(30, 3))
    colors = rng.integers(0, 256, size=(30, 4), dtype=np.uint8)
    path = tmp_path / "trimesh_cloud.ply"
    trimesh.PointCloud(points, colors=colors).export(str(path))
    loaded = load_pointcloud(path)
    np.testing.assert_allclose(loaded.points.numpy(), points.astype(np.float32))
    np.testing.assert_allclose(loaded.colors.numpy(), colors[:, :3] / 255.0, atol=1e-6)


def test_xyz_text_written_by_hand(tmp_path):
    path = tmp_path / "hand.xyzn"
    path.write_text("1 2 3 0 0 1\n-4.5 0.25 6 1 0 0\n")
    loaded = load_pointcloud(path)
    np.testing.assert_array_equal(loaded.points.numpy(), [[1, 2, 3], [-4.5, 0.25, 6]])
    np.testing.assert_array_equal(loaded.normals.numpy(), [[0, 0, 1], [1, 0, 0]])


@pytest.mark.parametrize("columns", [3, 6, 9])
def test_npy_column_layout(tmp_path, columns):
    rng = np.random.default_rng(columns)
    array = rng.uniform(0, 1, size=(10, columns)).astype(np.float32)
    np.save(tmp_path / "cloud.npy", array)
    loaded = load_pointcloud(tmp_path / "cloud.npy")
    np.testing.assert_array_equal(loaded.points.numpy(), array[:, :3])
    assert (loaded.normals is None) == (columns < 6)
    assert (loaded.colors is None) == (columns < 9)
    if columns >= 6:
        np.testing.assert_array_equal(loaded.normals.numpy(), array[:, 3:6])
    if columns == 9:
        np.testing.assert_array_equal(loaded.colors.numpy(), array[:, 6:9])


def test_npz_uint8_colors_scaled(tmp_path):
    points = np.zeros((3, 3), dtype=np.float64)
    colors = np.array([[0, 128, 255], [1, 2, 3], [255, 255, 255]], dtype=np.uint8)
    np.savez(tmp_path / "cloud.npz", points=points, colors=colors)
    loaded = load_pointcloud(tmp_path / "cloud.npz")
    assert loaded.points.dtype == torch.float32 and loaded.normals is None
    np.testing.assert_allclose(loaded.colors.numpy(), colors / 255.0, atol=1e-7)


def test_npz_without_points_key(tmp_path):
    path = tmp_path / "cloud.npz"
    np.savez(path, xyz=np.zeros((3, 3)))
    with pytest.raises(LoadError, match=r"missing key 'points'.*xyz") as info:
        load_pointcloud(path)
    assert str(path) in str(info.value)


def test_npy_float_colors_out_of_range(tmp_path):
    path = tmp_path / "cloud.npy"
    array = np.zeros((4, 9), dtype=np.float32)
    array[:, 6:] = 200.0
    np.save(path, array)
    with pytest.raises(LoadError, match=r"colors must lie in \[0, 1\]"):
        load_pointcloud(path)


def test_npy_cannot_hold_colors_without_normals(tmp_path):
    cloud = PointCloud(points=torch.zeros(2, 3), colors=torch.ones(2, 3))
    with pytest.raises(SaveError, match=r"\.npz"):
        save_pointcloud(tmp_path / "cloud.npy", cloud)
    assert not any(tmp_path.iterdir())


def test_usd_dispatch_round_trip(tmp_path):
    cloud = PointCloud(points=torch.rand(20, 3))
    save_pointcloud(tmp_path / "cloud.usda", cloud)
    torch.testing.assert_close(load_pointcloud(tmp_path / "cloud.usda").points, cloud.points)
