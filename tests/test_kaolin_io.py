"""Kaolin's io names over ours: OBJ normals with their own indices and material error handlers, the polygon
handlers, on hand-written files."""
import warnings

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
