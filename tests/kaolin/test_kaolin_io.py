"""Kaolin's io names over ours: OBJ normals with their own indices and material error handlers, the polygon
handlers, on hand-written files."""
import warnings

import numpy as np

import pytest
import torch

import kaolin_pipeline.kaolin as kal
from kaolin_pipeline.errors import MaterialFileError, MaterialLoadError, MaterialNotFoundError
from kaolin_pipeline.io.polygons import mesh_handler_naive_triangulate

# a square in two triangles whose corners use normals in an order unrelated to the vertices
NORMALS_OBJ = """v 0 0 0
v 1 0 0
v 1 1 0
v 0 1 0
vn 0 0 1
vn 0 1 0
vn 1 0 0
f 1//3 2//1 3//2
f 1//2 3//2 4//1
"""


def test_obj_normals_keep_their_own_indices(tmp_path):
    path = tmp_path / "n.obj"
    path.write_text(NORMALS_OBJ)
    mesh = kal.io.obj.import_mesh(path, with_normals=True)
    assert mesh.normals.tolist() == [[0, 0, 1], [0, 1, 0], [1, 0, 0]]
    assert mesh.face_normals_idx.tolist() == [[2, 0, 1], [1, 1, 0]]
    # per-corner normals: the vn of each corner as written in the file
    assert mesh.face_normals.tolist() == [[[1, 0, 0], [0, 0, 1], [0, 1, 0]], [[0, 1, 0], [0, 1, 0], [0, 0, 1]]]
    assert kal.io.obj.import_mesh(path).normals is None


MATERIAL_OBJ = """mtllib lib.mtl
v 0 0 0
v 1 0 0
v 1 1 0
vt 0 0
vt 1 0
vt 1 1
usemtl {name}
f 1/1 2/2 3/3
"""


@pytest.mark.parametrize("case, error", [("no library", MaterialFileError), ("undefined", MaterialNotFoundError),
                                         ("no image", MaterialLoadError)])
def test_obj_material_problems_go_to_the_error_handler(tmp_path, case, error):
    path = tmp_path / "m.obj"
    path.write_text(MATERIAL_OBJ.format(name="red" if case != "undefined" else "blue"))
    if case != "no library":
        texture = "map_Kd missing.png\n" if case == "no image" else ""
        (tmp_path / "lib.mtl").write_text(f"newmtl red\nKd 1 0 0\n{texture}")
    with pytest.raises(error):
        kal.io.obj.import_mesh(path, with_materials=True)  # default handler raises
    with pytest.warns(UserWarning):
        mesh = kal.io.obj.import_mesh(path, with_materials=True, error_handler=kal.io.obj.skip_error_handler)
    assert mesh.material_assignments.tolist() == [0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kal.io.obj.import_mesh(path, with_materials=True, error_handler=kal.io.obj.ignore_error_handler)
        kal.io.obj.import_mesh(path)  # without materials nothing is reported
    seen = []
    kal.io.obj.import_mesh(path, with_materials=True, error_handler=lambda e, **kw: seen.append(type(e)))
    assert seen == [error]


def test_naive_triangulate_fans_flat_features_and_rewrites_assignments():
    counts = torch.tensor([4, 3, 5])
    corners = torch.arange(12) + 100  # flat per-corner values
    _, new_counts, faces, assignments = mesh_handler_naive_triangulate(
        torch.zeros(1, 3), counts, corners, face_assignments={"a": torch.tensor([2, 0]), "r": torch.tensor([[1, 3]])})
    assert new_counts.tolist() == [3] * 6
    assert faces.tolist() == [[100, 101, 102], [100, 102, 103], [104, 105, 106],
                              [107, 108, 109], [107, 109, 110], [107, 110, 111]]
    assert assignments["a"].tolist() == [3, 4, 5, 0, 1]
    assert assignments["r"].tolist() == [[2, 6]]


def _pxr_stage(path):
    """Written with pxr directly (not by our writer): /World/a a triangle with face-varying normals under a
    translated, scaled Xform; /World/b a quad + a triangle (mixed corner counts)."""
    from pxr import Gf, Usd, UsdGeom

    stage = Usd.Stage.CreateNew(str(path))
    UsdGeom.Xform.Define(stage, "/World")
    xform = UsdGeom.Xform.Define(stage, "/World/x")
    xform.AddTranslateOp().Set(Gf.Vec3d(1, 2, 3))
    xform.AddScaleOp().Set(Gf.Vec3f(2, 2, 2))
    a = UsdGeom.Mesh.Define(stage, "/World/x/a")
    a.GetPointsAttr().Set([(0, 0, 0), (1, 0, 0), (0, 1, 0)])
    a.GetFaceVertexCountsAttr().Set([3])
    a.GetFaceVertexIndicesAttr().Set([0, 1, 2])
    a.GetNormalsAttr().Set([(0, 0, 1), (0, 1, 0), (1, 0, 0)])
    a.SetNormalsInterpolation(UsdGeom.Tokens.faceVarying)
    b = UsdGeom.Mesh.Define(stage, "/World/b")
    b.GetPointsAttr().Set([(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0), (2, 0, 0)])
    b.GetFaceVertexCountsAttr().Set([4, 3])
    b.GetFaceVertexIndicesAttr().Set([0, 1, 2, 3, 1, 4, 2])
    stage.GetRootLayer().Save()
    return stage


def test_usd_import_meshes_of_a_file_written_with_pxr(tmp_path):
    from pxr import Usd

    path = tmp_path / "scene.usda"
    _pxr_stage(path)
    assert kal.io.usd.get_mesh_scene_paths(str(path)) == ["/World/x/a", "/World/b"]
    assert kal.io.usd.get_mesh_scene_paths(str(path), "/World/x") == ["/World/x/a"]
    with pytest.raises(kal.io.utils.NonHomogeneousMeshError, match="/World/b"):
        kal.io.usd.import_meshes(str(path))
    skipped = kal.io.usd.import_meshes(str(path), with_normals=True,
                                       heterogeneous_mesh_handler=kal.io.usd.heterogeneous_mesh_handler_skip)
    assert len(skipped) == 1
    a = skipped[0]
    assert a.vertices.tolist() == [[0, 0, 0], [1, 0, 0], [0, 1, 0]]  # local coordinates, transform stored
    expected_transform = torch.tensor([[2.0, 0, 0, 1], [0, 2, 0, 2], [0, 0, 2, 3], [0, 0, 0, 1]])
    assert torch.equal(a.transform, expected_transform)
    assert a.face_normals.tolist() == [[[0, 0, 1], [0, 1, 0], [1, 0, 0]]]  # one normal per corner, as stored
    by_path = kal.io.usd.import_meshes(Usd.Stage.Open(str(path)), triangulate=True, return_list=False)
    assert list(by_path) == ["/World/x/a", "/World/b"]
    assert by_path["/World/b"].faces.tolist() == [[0, 1, 2], [0, 2, 3], [1, 4, 2]]
    merged = kal.io.usd.import_mesh(str(path), triangulate=True)  # world space, one mesh
    assert merged.vertices[:3].tolist() == [[1, 2, 3], [3, 2, 3], [1, 4, 3]]
    assert merged.faces.tolist() == [[0, 1, 2], [3, 4, 5], [3, 5, 6], [4, 7, 5]]


def test_usd_second_export_raises_file_exists_and_old_keywords_warn(tmp_path):
    path = str(tmp_path / "cloud.usda")
    points = torch.rand(5, 3)
    kal.io.usd.export_pointcloud(path, points=points)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        kal.io.usd.export_pointcloud(path, points=points)
    with pytest.warns(DeprecationWarning, match="pointcloud is deprecated; use points"):
        kal.io.usd.export_pointcloud(path, pointcloud=points, overwrite=True)
    assert torch.allclose(kal.io.usd.import_pointcloud(path).points, points)


def test_usd_export_meshes_writes_face_varying_normals_read_back_by_pxr(tmp_path):
    from pxr import Usd, UsdGeom

    vertices = torch.tensor([[[0.0, 0, 0], [1, 0, 0], [0, 1, 0]], [[0.0, 0, 1], [1, 0, 1], [0, 1, 1]]])
    faces = torch.tensor([[0, 1, 2]])
    face_normals = torch.tensor([[[[0.0, 0, 1], [0, 1, 0], [1, 0, 0]]], [[[0.0, 0, -1], [0, -1, 0], [-1, 0, 0]]]])
    path = str(tmp_path / "two.usda")
    kal.io.usd.export_meshes(path, vertices=list(vertices), faces=[faces, faces], face_normals=list(face_normals))
    stage = Usd.Stage.Open(path)
    second = UsdGeom.Mesh(stage.GetPrimAtPath("/World/Meshes/mesh_1"))
    assert second.GetNormalsInterpolation() == UsdGeom.Tokens.faceVarying
    assert np.allclose(np.array(second.GetNormalsAttr().Get()), face_normals[1, 0].numpy())
    assert np.allclose(np.array(second.GetPointsAttr().Get()), vertices[1].numpy())
    back = kal.io.usd.import_meshes(path, with_normals=True)
    assert [torch.equal(m.face_normals, n) for m, n in zip(back, face_normals)] == [True, True]
    with pytest.raises(FileExistsError):
        kal.io.usd.export_meshes(path, vertices=list(vertices), faces=[faces, faces])
    with pytest.raises(TypeError, match="vertices must be a list"):
        kal.io.usd.export_meshes(path, vertices=vertices, faces=[faces, faces], overwrite=True)


def test_shapenet_v1_and_v2_split_each_synset_by_the_fraction_of_sorted_models(tmp_path):
    triangle = "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"
    for version, model_file in ((1, "model.obj"), (2, "models/model_normalized.obj")):
        root = tmp_path / f"v{version}"
        for synset, count in (("02691156", 4), ("03001627", 3)):  # airplane, chair
            for i in range(count):
                file = root / synset / f"m{i}" / model_file
                file.parent.mkdir(parents=True)
                file.write_text(triangle)
        dataset_class = kal.io.shapenet.ShapeNetV1 if version == 1 else kal.io.shapenet.ShapeNetV2
        train = dataset_class(str(root), split=0.5, output_dict=True)
        # int(4 * 0.5) = 2 airplanes, int(3 * 0.5) = 1 chair, the first by name
        assert [train[i]["name"] for i in range(len(train))] == ["02691156/m0", "02691156/m1", "03001627/m0"]
        test = dataset_class(str(root), categories=["chair"], train=False, split=0.5)
        assert len(test) == 2 and test[1].attributes["synset"] == "03001627"
        assert test[1].attributes["labels"] == ["chair"] and test[1].data.faces.tolist() == [[0, 1, 2]]
