"""Loaders keep what files hold: triangle-strip PLY, .usdz packages, .xyz colour columns, MTL names with spaces.

Each file is written by another tool (trimesh, pxr's UsdUtils, NumPy) or by hand.
"""
import shutil

import numpy as np
import pytest
import torch

from kaolin_pipeline.errors import LoadError
from kaolin_pipeline.io import load_mesh, load_pointcloud, save_mesh
from kaolin_pipeline.structures import Mesh

STRIP_PLY = """ply
format ascii 1.0
comment two strips, the second after a restart (-1), with a degenerate swap triangle
element vertex 6
property float x
property float y
property float z
element tristrips 1
property list int int vertex_indices
end_header
0 0 0
1 0 0
0 1 0
1 1 0
2 0 0
2 1 0
9 0 1 2 3 -1 1 4 3 5
"""


def test_triangle_strip_ply_is_a_mesh(tmp_path):
    path = tmp_path / "strips.ply"
    path.write_text(STRIP_PLY)
    mesh = load_mesh(path)
    # hand-unrolled: strip 0 1 2 3 -> (0 1 2), (2 1 3); strip 1 4 3 5 -> (1 4 3), (3 4 5)
    assert mesh.faces.tolist() == [[0, 1, 2], [2, 1, 3], [1, 4, 3], [3, 4, 5]]
    normals = torch.linalg.cross(mesh.vertices[mesh.faces[:, 1]] - mesh.vertices[mesh.faces[:, 0]],
                                 mesh.vertices[mesh.faces[:, 2]] - mesh.vertices[mesh.faces[:, 0]])
    assert (normals[:, 2] > 0).all()  # the strip's alternating order keeps one winding
    assert mesh.num_vertices == 6


def test_degenerate_strip_triangles_are_dropped(tmp_path):
    path = tmp_path / "swap.ply"
    path.write_text(STRIP_PLY.replace("9 0 1 2 3 -1 1 4 3 5", "6 0 1 2 2 3 3"))
    assert load_mesh(path).faces.tolist() == [[0, 1, 2]]


def test_usdz_package_made_by_pxr_reads_mesh_and_texture(tmp_path):
    from pxr import UsdUtils

    texture = torch.rand(3, 8, 8)
    mesh = Mesh(vertices=torch.tensor([[0.0, 0, 0], [1, 0, 0], [0, 1, 0]]), faces=torch.tensor([[0, 1, 2]]),
                uvs=torch.tensor([[0.0, 0], [1, 0], [0, 1]]), face_uvs_idx=torch.tensor([[0, 1, 2]]), texture=texture)
    save_mesh(tmp_path / "asset" / "tri.usda", mesh)
    package = tmp_path / "tri.usdz"
    assert UsdUtils.CreateNewUsdzPackage(str(tmp_path / "asset" / "tri.usda"), str(package))
    shutil.rmtree(tmp_path / "asset")  # only the package is left to read from
    loaded = load_mesh(package)
    assert torch.equal(loaded.vertices, mesh.vertices) and torch.equal(loaded.faces, mesh.faces)
    assert torch.equal(loaded.uvs, mesh.uvs)
    assert loaded.texture.shape == (3, 8, 8)
    assert (loaded.texture - texture).abs().max() <= 0.5 / 255 + 1e-6  # 8-bit PNG inside the package


def test_xyz_rgb_columns_keep_colours_0_255_or_0_1(tmp_path):
    rng = np.random.default_rng(0)
    points = rng.normal(size=(20, 3))
    colors = rng.integers(0, 256, size=(20, 3))
    path = tmp_path / "bytes.xyz"
    np.savetxt(path, np.hstack([points, colors]), fmt=["%.6f"] * 3 + ["%d"] * 3)
    cloud = load_pointcloud(path)
    np.testing.assert_allclose(cloud.points.numpy(), points, atol=1e-6)
    np.testing.assert_allclose(cloud.colors.numpy(), colors / 255.0, atol=1e-7)
    path = tmp_path / "unit.xyz"
    np.savetxt(path, np.hstack([points, colors / 255.0]))
    np.testing.assert_allclose(load_pointcloud(path).colors.numpy(), colors / 255.0, atol=1e-7)
    normals = points / np.linalg.norm(points, axis=1, keepdims=True)  # negative values: normals, not colours
    np.savetxt(tmp_path / "normals.xyz", np.hstack([points, normals]))
    cloud = load_pointcloud(tmp_path / "normals.xyz")
    assert cloud.colors is None and np.allclose(cloud.normals.numpy(), normals, atol=1e-6)


def test_xyz_line_that_is_not_numbers_names_file_and_line(tmp_path):
    path = tmp_path / "broken.xyz"
    path.write_text("0 0 0\n1 1 1\n# a comment\n2 2 oops\n")
    with pytest.raises(LoadError, match=r"broken\.xyz: line 4 is not numbers: '2 2 oops'"):
        load_pointcloud(path)
    path.write_text("0 0 0\n1 1 1 5\n")
    with pytest.raises(LoadError, match=r"line 2 has 4 columns"):
        load_pointcloud(path)
