"""read_off_polygons (kal.io.off.import_mesh): hand-written OFF files, the polygons kept as written, checked
against trimesh's reading of the same file."""
import numpy as np
import pytest
import torch
import trimesh

from kaolin_pipeline.errors import LoadError
from kaolin_pipeline.io.off import read_off_polygons

_SQUARE_PYRAMID = """OFF # a header comment
# counts: vertices faces edges
5 5 0
0 0 0
1 0 0
1 1 0
0 1 0
0.5 0.5 1   # apex
4 0 3 2 1 10 20 30
3 0 1 4 255 0 0
3 1 2 4 0 255 0
3 2 3 4 0 0 255
3 3 0 4 1 2 3
"""


def test_quads_and_triangles_refuse_but_triangles_match_trimesh(tmp_path):
    path = tmp_path / "pyramid.off"
    path.write_text(_SQUARE_PYRAMID)
    with pytest.raises(LoadError, match="different corner counts"):
        read_off_polygons(path)
    triangles = tmp_path / "sides.off"
    lines = _SQUARE_PYRAMID.splitlines()
    triangles.write_text("\n".join(lines[:3]).replace("5 5 0", "5 4 0") + "\n" + "\n".join(lines[3:8] + lines[9:]))
    mesh = read_off_polygons(triangles, with_face_colors=True)
    reference = trimesh.load(triangles, process=False)
    assert mesh.vertices.dtype == torch.float32 and np.allclose(mesh.vertices.numpy(), reference.vertices)
    assert mesh.faces.tolist() == reference.faces.tolist() == [[0, 1, 4], [1, 2, 4], [2, 3, 4], [3, 0, 4]]
    assert mesh.face_colors.tolist() == [[255, 0, 0], [0, 255, 0], [0, 0, 255], [1, 2, 3]]


def test_modelnet_header_quirk_keeps_quads_and_colours_are_optional(tmp_path):
    path = tmp_path / "quad.off"
    path.write_text("OFF4 1 0\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n4 0 1 2 3 9 8 7\n")
    mesh = read_off_polygons(path)
    assert mesh.faces.tolist() == [[0, 1, 2, 3]] and mesh.face_colors is None
    assert read_off_polygons(path, with_face_colors=True).face_colors.tolist() == [[9, 8, 7]]
    plain = tmp_path / "plain.off"
    plain.write_text("OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n")
    assert read_off_polygons(plain, with_face_colors=True).face_colors.shape == (1, 0)  # as Kaolin: none
    (tmp_path / "short.off").write_text("OFF\n4 1 0\n0 0 0\n")
    with pytest.raises(LoadError, match="short.off.*ends before"):
        read_off_polygons(tmp_path / "short.off")
    with pytest.raises(LoadError, match="missing.off"):
        read_off_polygons(tmp_path / "missing.off")
