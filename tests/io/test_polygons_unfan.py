"""Quads kept as quads: unfan_polygons inverts the fan triangulation, and kal.io.obj.import_mesh returns an
OBJ file's K-gons as written (hand-made file)."""
import pytest
import torch

import kaolin_pipeline.kaolin as kal
from kaolin_pipeline.io.polygons import mesh_handler_naive_triangulate, unfan_polygons

_QUADS = """v 0 0 0
v 1 0 0
v 1 1 0
v 0 1 0
v 2 0 0
v 2 1 0
vt 0 0
vt 1 0
vt 1 1
vt 0 1
vn 0 0 1
f 1/1/1 2/2/1 3/3/1 4/4/1
f 2/1/1 5/2/1 6/3/1 3/4/1
"""


def test_unfan_inverts_the_fan_of_pentagons():
    polygons = torch.tensor([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]])
    _, _, triangles, *_ = mesh_handler_naive_triangulate(torch.zeros(10, 3), torch.tensor([5, 5]),
                                                         polygons.reshape(-1))
    assert triangles.tolist() == [[0, 1, 2], [0, 2, 3], [0, 3, 4], [5, 6, 7], [5, 7, 8], [5, 8, 9]]
    assert torch.equal(unfan_polygons(triangles, 5), polygons)
    with pytest.raises(ValueError, match="fans of 4-gons"):
        unfan_polygons(triangles[:5], 4)


def test_obj_quads_are_kept_unless_triangulated(tmp_path):
    path = tmp_path / "quads.obj"
    path.write_text(_QUADS)
    mesh = kal.io.obj.import_mesh(str(path), with_normals=True)
    assert mesh.faces.tolist() == [[0, 1, 2, 3], [1, 4, 5, 2]]
    assert mesh.face_normals_idx.tolist() == [[0, 0, 0, 0], [0, 0, 0, 0]]
    with_uvs = kal.io.obj.import_mesh(str(path), with_materials=True, error_handler=kal.io.obj.ignore_error_handler)
    assert with_uvs.face_uvs_idx.tolist() == [[0, 1, 2, 3], [0, 1, 2, 3]]
    triangles = kal.io.obj.import_mesh(str(path), triangulate=True)
    assert triangles.faces.tolist() == [[0, 1, 2], [0, 2, 3], [1, 4, 5], [1, 5, 2]]
