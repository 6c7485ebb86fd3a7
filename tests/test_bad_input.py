"""Every unusable file raises LoadError naming the file and the problem; nothing else escapes."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import trimesh

from kaolin_pipeline.io.mesh import load_mesh, save_mesh
from kaolin_pipeline.io.pointcloud import load_pointcloud
from kaolin_pipeline.structures import Mesh, PointCloud
from kaolin_pipeline.io.voxelgrid import load_voxelgrid, save_voxelgrid
from kaolin_pipeline.errors import LoadError, SaveError

LOADERS = {"mesh": (load_mesh, "obj"), "pointcloud": (load_pointcloud, "ply"), "voxelgrid": (load_voxelgrid, "binvox")}


def _raises_naming(loader, path, problem: str) -> LoadError:
    with pytest.raises(LoadError) as info:
        loader(path)
    message = str(info.value)
    assert str(path) in message, message
    assert re.search(problem, message), message
    return info.value


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_missing_file(tmp_path, kind):
    loader, ext = LOADERS[kind]
    error = _raises_naming(loader, tmp_path / f"absent.{ext}", "does not exist")
    assert isinstance(error, FileNotFoundError)  # ``except OSError`` written for Kaolin catches it too
    with pytest.raises(OSError):
        loader(tmp_path / f"absent.{ext}")


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_empty_file(tmp_path, kind):
    loader, ext = LOADERS[kind]
    path = tmp_path / f"empty.{ext}"
    path.write_bytes(b"")
    _raises_naming(loader, path, "empty")


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_directory_instead_of_file(tmp_path, kind):
    loader, ext = LOADERS[kind]
    path = tmp_path / f"folder.{ext}"
    path.mkdir()
    _raises_naming(loader, path, "is a directory")


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_unsupported_extension(tmp_path, kind):
    loader, _ = LOADERS[kind]
    path = tmp_path / "shape.xyzw"
    path.write_text("1 2 3\n")
    _raises_naming(loader, path, r"unsupported file extension '\.xyzw'")


def _binary_mesh_file(folder, ext: str):
    path = folder / f"full.{ext}"
    trimesh.creation.icosphere(subdivisions=2).export(str(path))
    return path


@pytest.mark.parametrize("ext", ["ply", "stl", "glb"])
def test_truncated_binary_mesh(tmp_path, ext):
    data = _binary_mesh_file(tmp_path, ext).read_bytes()
    path = tmp_path / f"half.{ext}"
    path.write_bytes(data[: len(data) // 2])
    _raises_naming(load_mesh, path, "could not read|no geometry|no faces|no vertices|not a triangle mesh")


def test_truncated_binary_pointcloud(tmp_path):
    data = _binary_mesh_file(tmp_path, "ply").read_bytes()
    path = tmp_path / "half.ply"
    path.write_bytes(data[: len(data) // 3])
    _raises_naming(load_pointcloud, path, "could not read PLY point cloud")


def test_truncated_binvox(tmp_path):
    path = tmp_path / "grid.binvox"
    save_voxelgrid(path, _checker_grid())
    data = path.read_bytes()
    path.write_bytes(data[:-3])
    _raises_naming(load_voxelgrid, path, "truncated|encodes")


def _checker_grid():
    from kaolin_pipeline.structures import VoxelGrid

    index = torch.arange(6)
    occupancy = (index[:, None, None] + index[None, :, None] + index[None, None, :]) % 2 == 0
    return VoxelGrid(occupancy)


def _garbage(length: int = 4096) -> bytes:
    return np.random.default_rng(11).integers(0, 256, size=length, dtype=np.uint8).tobytes()


@pytest.mark.parametrize("ext", ["obj", "off", "ply", "stl", "glb", "gltf"])
def test_garbage_mesh(tmp_path, ext):
    path = tmp_path / f"garbage.{ext}"
    path.write_bytes(_garbage())
    _raises_naming(load_mesh, path, "could not read|no geometry|malformed|no vertices|no faces|not a triangle mesh")


@pytest.mark.parametrize("ext", ["ply", "pcd", "xyz", "npy", "npz"])
def test_garbage_pointcloud(tmp_path, ext):
    path = tmp_path / f"garbage.{ext}"
    path.write_bytes(_garbage())
    _raises_naming(load_pointcloud, path, "could not read|no points|must have shape|is not numbers")


@pytest.mark.parametrize("ext", ["binvox", "npy", "npz"])
def test_garbage_voxelgrid(tmp_path, ext):
    path = tmp_path / f"garbage.{ext}"
    path.write_bytes(_garbage())
    _raises_naming(load_voxelgrid, path, "could not read")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_vertices_obj(tmp_path, value):
    path = tmp_path / "bad.obj"
    path.write_text(f"v 0 0 0\nv 1 {value} 0\nv 0 1 0\nf 1 2 3\n")
    _raises_naming(load_mesh, path, "1 vertices contain NaN or Inf")


def test_non_finite_vertices_off(tmp_path):
    path = tmp_path / "bad.off"
    path.write_text("OFF\n3 1 0\n0 0 0\nnan 1 0\n0 1 0\n3 0 1 2\n")
    _raises_naming(load_mesh, path, "NaN or Inf")


def test_non_finite_points(tmp_path):
    path = tmp_path / "bad.xyz"
    path.write_text("0 0 0\n1 nan 2\n")
    _raises_naming(load_pointcloud, path, "1 points contain NaN or Inf")


def test_face_index_out_of_range_obj(tmp_path):
    path = tmp_path / "bad.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 7\n")
    _raises_naming(load_mesh, path, r"face index out of range \[0, 6\] for 3 vertices")


def test_negative_face_index_beyond_start_obj(tmp_path):
    path = tmp_path / "bad.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf -1 -2 -5\n")
    _raises_naming(load_mesh, path, "face index out of range")


def test_face_index_zero_obj(tmp_path):
    path = tmp_path / "bad.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 0 1 2\n")
    _raises_naming(load_mesh, path, "line 4: malformed 'f' line.*index 0")


def test_face_index_out_of_range_off(tmp_path):
    path = tmp_path / "bad.off"
    path.write_text("OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 9\n")
    _raises_naming(load_mesh, path, "could not read OFF mesh.*face index outside the range")


def test_normal_index_out_of_range_obj(tmp_path):
    path = tmp_path / "bad.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nvn 0 0 1\nf 1//1 2//1 3//4\n")
    _raises_naming(load_mesh, path, "normal index out of range")


def test_malformed_vertex_line_obj(tmp_path):
    path = tmp_path / "bad.obj"
    path.write_text("v 0 0 0\nv 1 zero 0\nv 0 1 0\nf 1 2 3\n")
    _raises_naming(load_mesh, path, "line 2: malformed 'v' line")


def test_point_cloud_ply_is_not_a_mesh(tmp_path):
    path = tmp_path / "points.ply"
    trimesh.PointCloud(np.random.default_rng(0).normal(size=(10, 3))).export(str(path))
    _raises_naming(load_mesh, path, "not a triangle mesh")


def test_corrupt_texture_image(tmp_path):
    (tmp_path / "m.obj").write_text("mtllib m.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nusemtl a\nf 1/1 2/1 3/1\n")
    (tmp_path / "m.mtl").write_text("newmtl a\nmap_Kd t.png\n")
    (tmp_path / "t.png").write_bytes(_garbage(100))
    _raises_naming(load_mesh, tmp_path / "m.obj", "could not read texture image")


def test_save_invalid_mesh_names_file(tmp_path):
    path = tmp_path / "bad.ply"
    mesh = Mesh(vertices=torch.rand(3, 3), faces=torch.tensor([[0, 1, 5]]))
    with pytest.raises(SaveError, match=re.escape(str(path)) + ".*out of range"):
        save_mesh(path, mesh)
    assert not path.exists()


@pytest.mark.parametrize("name", ["bad.ply", "bad.usda"])
def test_save_wrong_object_type_names_file(tmp_path, name):
    path = tmp_path / name
    cloud = PointCloud(points=torch.rand(4, 3))
    with pytest.raises(SaveError, match=re.escape(str(path)) + ": expected a Mesh to save, got PointCloud"):
        save_mesh(path, cloud)
    assert not path.exists()


def test_save_unsupported_extension(tmp_path):
    mesh = Mesh(vertices=torch.rand(3, 3), faces=torch.tensor([[0, 1, 2]]))
    with pytest.raises(SaveError, match=r"unsupported file extension '\.fbx'"):
        save_mesh(tmp_path / "model.fbx", mesh)


def test_obj_with_normals_but_no_faces(tmp_path):
    path = tmp_path / "bad.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nvn 0 0 1\n")
    _raises_naming(load_mesh, path, "no faces")


@pytest.mark.parametrize("face", ["f 1/1/1 2/1/1 3/1", "f 1/1/1 2//1 3/1/1", "f 1/1/1/1 2/1/1 3/1/1"])
def test_obj_mixed_corner_layouts_follow_line_reader(tmp_path, face):
    # a layout differing from the first face's must not be read by the bulk reader as if it matched
    path = tmp_path / "mixed.obj"
    path.write_text(f"v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvn 0 0 1\nf 1/1/1 2/1/1 3/1/1\n{face}\n")
    mesh = load_mesh(path)
    assert mesh.faces.tolist() == [[0, 1, 2], [0, 1, 2]]


def test_obj_malformed_number_in_uniform_file(tmp_path):
    path = tmp_path / "bad.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\nf 1 2 3x\n")
    _raises_naming(load_mesh, path, "line 5: malformed 'f' line")


def test_validators_name_per_vertex_and_per_point_field_mismatches():
    from kaolin_pipeline.io.validate import validate_mesh, validate_pointcloud

    mesh = Mesh(vertices=torch.rand(3, 3), faces=torch.tensor([[0, 1, 2]]), vertex_colors=torch.rand(2, 3))
    with pytest.raises(LoadError, match=r"m\.obj: vertex_colors has 2 rows for 3 vertices"):
        validate_mesh(mesh, "m.obj")
    normals = torch.rand(3, 3)
    normals[1, 0] = float("nan")
    with pytest.raises(LoadError, match=r"m\.obj: 1 vertex_normals contain NaN"):
        validate_mesh(Mesh(vertices=torch.rand(3, 3), faces=torch.tensor([[0, 1, 2]]), vertex_normals=normals), "m.obj")
    with pytest.raises(LoadError, match=r"p\.ply: colors has 4 rows for 5 points"):
        validate_pointcloud(PointCloud(points=torch.rand(5, 3), colors=torch.rand(4, 3)), "p.ply")
