"""load_mesh / save_mesh against trimesh's own readings, hand-written files and round trips."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import trimesh
from PIL import Image

from kaolin_pipeline.io.mesh import load_mesh, save_mesh
from kaolin_pipeline.structures import Mesh


def _sample_trimesh() -> trimesh.Trimesh:
    """An irregular closed mesh with per-vertex colours (42 vertices, 80 faces)."""
    sphere = trimesh.creation.icosphere(subdivisions=1)
    rng = np.random.default_rng(0)
    vertices = sphere.vertices * rng.uniform(0.8, 1.2, size=(len(sphere.vertices), 1)) + [0.5, -1.0, 2.0]
    colors = rng.integers(0, 256, size=(len(vertices), 4), dtype=np.uint8)
    return trimesh.Trimesh(vertices, sphere.faces, vertex_colors=colors, process=False)


def _trimesh_reading(path, **flags) -> trimesh.Trimesh:
    loaded = trimesh.load(str(path), process=False, **flags)
    return loaded.to_geometry() if isinstance(loaded, trimesh.Scene) else loaded


@pytest.mark.parametrize("ext", ["obj", "off", "ply", "stl", "glb", "gltf"])
def test_arrays_equal_trimesh_reading(tmp_path, ext):
    path = tmp_path / f"shape.{ext}"
    _sample_trimesh().export(str(path))
    flags = {"maintain_order": True} if ext == "obj" else {}
    reference = _trimesh_reading(path, **flags)
    mesh = load_mesh(path, merge_vertices=False)
    assert mesh.vertices.dtype == torch.float32 and mesh.faces.dtype == torch.int64
    np.testing.assert_array_equal(mesh.vertices.numpy(), reference.vertices.astype(np.float32))
    np.testing.assert_array_equal(mesh.faces.numpy(), reference.faces)


def test_stl_corners_merged_as_trimesh_does_by_default(tmp_path):
    path = tmp_path / "shape.stl"
    _sample_trimesh().export(str(path))
    merged = trimesh.load(str(path))  # trimesh's defaults: process=True merges the corners
    mesh = load_mesh(path)
    assert len(merged.vertices) == 42 and mesh.num_vertices == 42 and mesh.num_faces == 80
    # same triangles corner for corner (vertex order may differ: trimesh orders by hash, we by first use)
    np.testing.assert_array_equal(mesh.vertices[mesh.faces].numpy(), merged.vertices[merged.faces].astype(np.float32))
    assert mesh.faces[0].tolist() == [0, 1, 2]
    assert load_mesh(path, merge_vertices=False).num_vertices == 240


def test_obj_unused_vertices_dropped_like_trimesh_or_kept(tmp_path):
    path = tmp_path / "unused.obj"
    path.write_text("v 9 9 9 1 0 0\nv 0 0 0 0 1 0\nv 1 0 0 0 1 0\nv 7 7 7 1 0 0\nv 0 1 0 0 0 1\nf 2 3 5\n")
    reference = trimesh.load(str(path))  # trimesh's defaults
    mesh = load_mesh(path)
    np.testing.assert_array_equal(mesh.vertices.numpy(), reference.vertices.astype(np.float32))
    assert mesh.faces.tolist() == [[0, 1, 2]] and mesh.vertex_colors.tolist() == [[0, 1, 0], [0, 1, 0], [0, 0, 1]]
    kept = load_mesh(path, keep_unused=True)
    assert kept.num_vertices == 5 and kept.faces.tolist() == [[1, 2, 4]] and kept.vertex_colors.shape == (5, 3)


def test_ply_vertex_colors_in_unit_range(tmp_path):
    source = _sample_trimesh()
    path = tmp_path / "colored.ply"
    source.export(str(path))
    mesh = load_mesh(path)
    np.testing.assert_allclose(mesh.vertex_colors.numpy(), source.visual.vertex_colors[:, :3] / 255.0, atol=1e-7)


def test_ply_vertex_normals_when_file_has_them(tmp_path):
    source = _sample_trimesh()
    normals = source.vertex_normals.copy()
    path = tmp_path / "normals.ply"
    source.export(str(path), vertex_normal=True)
    np.testing.assert_allclose(load_mesh(path).vertex_normals.numpy(), normals, atol=1e-6)
    source_without = _sample_trimesh()
    source_without.export(str(tmp_path / "plain.ply"))
    assert load_mesh(tmp_path / "plain.ply").vertex_normals is None


OBJ_WITH_QUAD = """# a unit square made of a quad and a triangle sharing one UV seam
mtllib square.mtl
v 0 0 0
v 1 0 0
v 1 1 0
v 0 1 0
v 2 0.5 0
vt 0 0
vt 1 0
vt 1 1
vt 0 1
vt 0.5 0.5
vn 0 0 1
usemtl checker
f 1/1/1 2/2/1 3/3/1 4/4/1
f -4/-1/-1 -1/-3/-1 -3/-2/-1
"""


def _write_textured_obj(folder, pixels: np.ndarray):
    (folder / "square.obj").write_text(OBJ_WITH_QUAD)
    (folder / "square.mtl").write_text("newmtl checker\nKd 1 1 1\nmap_Kd tex.png\n")
    Image.fromarray(pixels, mode="RGB").save(folder / "tex.png")
    return folder / "square.obj"


def _pixels() -> np.ndarray:
    """(2, 3, 3) uint8 image, each pixel a different colour; row 0 is the top row."""
    return np.arange(18, dtype=np.uint8).reshape(2, 3, 3) * 13


def test_off_with_modelnet_run_together_header(tmp_path):
    # Some ModelNet files glue the counts to the keyword: "OFF4 2 0" instead of "OFF\n4 2 0".
    path = tmp_path / "chair_0001.off"
    path.write_text("OFF4 2 0\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n3 0 1 2\n3 0 2 3\n")
    mesh = load_mesh(path)
    assert mesh.vertices.tolist() == [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]]
    assert mesh.faces.tolist() == [[0, 1, 2], [0, 2, 3]]


def test_obj_kaolin_layout_quad_triangulated_negative_indices(tmp_path):
    mesh = load_mesh(_write_textured_obj(tmp_path, _pixels()))
    np.testing.assert_array_equal(mesh.vertices.numpy(), [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [2, 0.5, 0]])
    # quad fan (0,1,2),(0,2,3); vertices -4,-1,-3 of 5 -> 1,4,2; uvs -1,-3,-2 of 5 -> 4,2,3
    np.testing.assert_array_equal(mesh.faces.numpy(), [[0, 1, 2], [0, 2, 3], [1, 4, 2]])
    np.testing.assert_array_equal(mesh.uvs.numpy(), [[0, 0], [1, 0], [1, 1], [0, 1], [0.5, 0.5]])
    np.testing.assert_array_equal(mesh.face_uvs_idx.numpy(), [[0, 1, 2], [0, 2, 3], [4, 2, 3]])
    np.testing.assert_array_equal(mesh.vertex_normals.numpy(), np.tile([0.0, 0.0, 1.0], (5, 1)))


def test_obj_corners_match_trimesh_split_layout(tmp_path):
    path = _write_textured_obj(tmp_path, _pixels())
    mesh = load_mesh(path)
    reference = trimesh.load(str(path), process=False)
    # trimesh splits vertices at UV seams and fans quads from another corner; the same
    # triangles (up to a cyclic rotation of their corners) must come out of both layouts
    ours = _corners_from_lowest(mesh.vertices[mesh.faces].numpy(), mesh.uvs[mesh.face_uvs_idx].numpy())
    theirs = _corners_from_lowest(reference.vertices[reference.faces], reference.visual.uv[reference.faces])
    np.testing.assert_allclose(ours[0], theirs[0])
    np.testing.assert_allclose(ours[1], theirs[1], atol=1e-7)


def _corners_from_lowest(positions: np.ndarray, uvs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotate each triangle's corners (keeping orientation) so the lexicographically lowest position comes first."""
    first = np.array([min(range(3), key=lambda k: tuple(tri[k])) for tri in positions])
    order = (first[:, None] + np.arange(3)) % 3
    rows = np.arange(len(positions))[:, None]
    return positions[rows, order], uvs[rows, order]


def test_obj_texture_rows_and_uv_orientation(tmp_path):
    pixels = _pixels()
    mesh = load_mesh(_write_textured_obj(tmp_path, pixels))
    assert mesh.texture.shape == (3, 2, 3) and mesh.texture.dtype == torch.float32
    np.testing.assert_allclose(mesh.texture.numpy(), pixels.transpose(2, 0, 1) / 255.0, atol=1e-7)
    # UV (0, 1) is the top-left corner of the image: pixel row 0, column 0
    corner = mesh.uvs[3]
    assert corner.tolist() == [0.0, 1.0]
    height, width = mesh.texture.shape[1:]
    row = min(int((1.0 - corner[1]) * height), height - 1)
    col = min(int(corner[0] * width), width - 1)
    np.testing.assert_allclose(mesh.texture[:, row, col].numpy(), pixels[0, 0] / 255.0, atol=1e-7)


def test_obj_missing_texture_warns_and_keeps_uvs(tmp_path):
    path = _write_textured_obj(tmp_path, _pixels())
    (tmp_path / "tex.png").unlink()
    with pytest.warns(UserWarning, match="tex.png"):
        mesh = load_mesh(path)
    assert mesh.texture is None and mesh.uvs.shape == (5, 2)


def test_obj_faces_partly_without_uvs_warn(tmp_path):
    path = tmp_path / "mixed.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\nvt 0 0\nvt 1 0\nvt 0 1\nf 1/1 2/2 3/3\nf 2 4 3\n")
    with pytest.warns(UserWarning, match="1 of 2 faces"):
        mesh = load_mesh(path)
    assert mesh.uvs is None and mesh.faces.tolist() == [[0, 1, 2], [1, 3, 2]]


def test_obj_vertex_colors(tmp_path):
    path = tmp_path / "colors.obj"
    path.write_text("v 0 0 0 1 0 0\nv 1 0 0 0 1 0\nv 0 1 0 0 0 0.5\nf 1 2 3\n")
    np.testing.assert_array_equal(load_mesh(path).vertex_colors.numpy(), [[1, 0, 0], [0, 1, 0], [0, 0, 0.5]])


def _transform(angle: float, axis, translation) -> np.ndarray:
    matrix = trimesh.transformations.rotation_matrix(angle, axis)
    matrix[:3, 3] = translation
    return matrix


def _sorted_triangles(triangles: np.ndarray) -> np.ndarray:
    flat = triangles.reshape(len(triangles), -1)
    return flat[np.lexsort(flat.T[::-1])]


def test_glb_scene_parts_merged_with_transforms(tmp_path):
    box = trimesh.creation.box(extents=(1.0, 2.0, 3.0))
    cone = trimesh.creation.cone(radius=0.5, height=1.0, sections=8)
    transforms = [_transform(0.3, [0, 0, 1], [1.0, 2.0, 3.0]), _transform(1.1, [1, 1, 0], [-2.0, 0.5, 0.0])]
    scene = trimesh.Scene()
    scene.add_geometry(box, node_name="box", transform=transforms[0])
    scene.add_geometry(cone, node_name="cone", transform=transforms[1])
    path = tmp_path / "scene.glb"
    scene.export(str(path))

    mesh = load_mesh(path)
    expected = []
    for part, matrix in zip((box, cone), transforms):
        homogeneous = np.concatenate([part.vertices, np.ones((len(part.vertices), 1))], axis=1)
        expected.append((homogeneous @ matrix.T)[:, :3][part.faces])
    expected = np.concatenate(expected)
    assert mesh.num_vertices == len(box.vertices) + len(cone.vertices)
    assert mesh.num_faces == len(expected)
    np.testing.assert_allclose(
        _sorted_triangles(mesh.vertices[mesh.faces].numpy()), _sorted_triangles(expected), atol=1e-5
    )


def test_normalize_centres_bbox_and_scales_to_unit_norm(tmp_path):
    path = tmp_path / "shape.ply"
    _sample_trimesh().export(str(path))
    vertices = load_mesh(path, normalize=True).vertices
    centre = (vertices.max(0).values + vertices.min(0).values) / 2
    torch.testing.assert_close(centre, torch.zeros(3), atol=1e-6, rtol=0)
    assert float(vertices.norm(dim=1).max()) == pytest.approx(1.0, abs=1e-6)


# ------------------------------------------------------------------ round trips


def _textured_mesh() -> Mesh:
    """Five vertices, two faces, four UVs shared across a seam, texture, colours and normals."""
    generator = torch.Generator().manual_seed(3)
    return Mesh(
        vertices=torch.rand(5, 3, generator=generator) * 4 - 2,
        faces=torch.tensor([[0, 1, 2], [2, 3, 4]]),
        uvs=torch.rand(4, 2, generator=generator),
        face_uvs_idx=torch.tensor([[0, 1, 2], [2, 3, 0]]),
        vertex_colors=torch.rand(5, 3, generator=generator),
        vertex_normals=torch.nn.functional.normalize(torch.randn(5, 3, generator=generator), dim=1),
        texture=torch.rand(3, 4, 6, generator=generator),
    )


def _quantized(values: torch.Tensor) -> torch.Tensor:
    return torch.round(values * 255) / 255


def test_obj_round_trip_exact(tmp_path):
    mesh = _textured_mesh()
    path = tmp_path / "out" / "model.obj"
    save_mesh(path, mesh)
    assert (tmp_path / "out" / "model.mtl").is_file() and (tmp_path / "out" / "model.png").is_file()
    loaded = load_mesh(path)
    for name in ("vertices", "faces", "uvs", "face_uvs_idx", "vertex_colors", "vertex_normals"):
        assert torch.equal(getattr(loaded, name), getattr(mesh, name)), name
    torch.testing.assert_close(loaded.texture, _quantized(mesh.texture), atol=1e-6, rtol=0)


@pytest.mark.parametrize("ext", ["glb", "gltf"])
def test_gltf_round_trip_texture_normals(tmp_path, ext):
    mesh = _textured_mesh()
    path = tmp_path / f"model.{ext}"
    save_mesh(path, mesh)
    loaded = load_mesh(path)
    torch.testing.assert_close(loaded.vertices[loaded.faces], mesh.vertices[mesh.faces])
    torch.testing.assert_close(loaded.uvs[loaded.face_uvs_idx], mesh.uvs[mesh.face_uvs_idx], atol=1e-6, rtol=0)
    torch.testing.assert_close(loaded.vertex_normals[loaded.faces], mesh.vertex_normals[mesh.faces], atol=1e-6, rtol=0)
    torch.testing.assert_close(loaded.texture, _quantized(mesh.texture), atol=1e-6, rtol=0)


def test_ply_round_trip_colors_normals(tmp_path):
    mesh = _textured_mesh()
    save_mesh(tmp_path / "model.ply", mesh)
    loaded = load_mesh(tmp_path / "model.ply")
    assert torch.equal(loaded.vertices, mesh.vertices) and torch.equal(loaded.faces, mesh.faces)
    assert torch.equal(loaded.vertex_normals, mesh.vertex_normals)
    torch.testing.assert_close(loaded.vertex_colors, _quantized(mesh.vertex_colors), atol=1e-6, rtol=0)


@pytest.mark.parametrize("ext", ["off", "stl"])
def test_geometry_only_round_trip(tmp_path, ext):
    mesh = _textured_mesh()
    save_mesh(tmp_path / f"model.{ext}", mesh)
    loaded = load_mesh(tmp_path / f"model.{ext}")
    # STL stores each triangle's corners separately: compare triangle corners
    torch.testing.assert_close(loaded.vertices[loaded.faces], mesh.vertices[mesh.faces], atol=1e-6, rtol=0)


def test_usd_dispatch_round_trip(tmp_path):
    mesh = Mesh(vertices=torch.rand(4, 3), faces=torch.tensor([[0, 1, 2], [0, 2, 3]]))
    save_mesh(tmp_path / "model.usda", mesh)
    loaded = load_mesh(tmp_path / "model.usda")
    assert torch.equal(loaded.faces, mesh.faces)
    torch.testing.assert_close(loaded.vertices, mesh.vertices)


def test_save_replaces_existing_file_atomically(tmp_path):
    path = tmp_path / "model.off"
    path.write_text("old content")
    save_mesh(path, _textured_mesh())
    assert load_mesh(path).num_faces == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.off"]


def test_saved_file_has_ordinary_permissions(tmp_path):
    import os

    umask = os.umask(0o022)
    try:
        save_mesh(tmp_path / "model.obj", _textured_mesh())
    finally:
        os.umask(umask)
    for name in ("model.obj", "model.mtl", "model.png"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644, name


# ------------------------------------------------------------ OBJ bulk reader

QUADS_NEGATIVE = """v 0 0 0 1 0 0
v 1 0 0 0 1 0
v 1 1 0 0 0 1
v 0 1 0 1 1 0
vt 0 0
vt 1 0
vt 1 1
vt 0 1
vn 0 0 1
usemtl first
f 1/1/1 2/2/1 3/3/1 4/4/1
v 2 0 0 0 0 0
vt 0.5 0.5
usemtl second
f -4/-5/-1 -1/-1/-1 -3/-4/-1 -2/-3/-1
"""


def test_obj_uniform_quads_fanned_with_negative_indices(tmp_path):
    path = tmp_path / "quads.obj"
    path.write_text(QUADS_NEGATIVE)
    mesh = load_mesh(path)
    # second quad: vertices -4,-1,-3,-2 of 5 -> 1,4,2,3; uvs -5,-1,-4,-3 of 5 -> 0,4,1,2
    np.testing.assert_array_equal(mesh.faces.numpy(), [[0, 1, 2], [0, 2, 3], [1, 4, 2], [1, 2, 3]])
    np.testing.assert_array_equal(mesh.face_uvs_idx.numpy(), [[0, 1, 2], [0, 2, 3], [0, 4, 1], [0, 1, 2]])
    np.testing.assert_array_equal(mesh.vertex_colors.numpy()[[0, 4]], [[1, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(mesh.vertex_normals.numpy(), np.tile([0.0, 0.0, 1.0], (5, 1)))


def _icosphere_obj(tmp_path) -> str:
    sphere = trimesh.creation.icosphere(subdivisions=3)
    uvs = (sphere.vertices[:, :2] + 1) / 2
    mesh = Mesh(vertices=torch.tensor(sphere.vertices, dtype=torch.float32), faces=torch.tensor(sphere.faces),
                uvs=torch.tensor(uvs, dtype=torch.float32), face_uvs_idx=torch.tensor(sphere.faces),
                vertex_colors=torch.rand(len(sphere.vertices), 3, generator=torch.Generator().manual_seed(1)),
                vertex_normals=torch.tensor(sphere.vertex_normals, dtype=torch.float32))
    save_mesh(tmp_path / "sphere.obj", mesh)
    return (tmp_path / "sphere.obj").read_text()


@pytest.mark.parametrize("variant", ["indented face", "crlf and tabs", "continuation"])
def test_obj_bulk_and_line_readers_agree(tmp_path, variant):
    text = _icosphere_obj(tmp_path)
    reference = load_mesh(tmp_path / "sphere.obj")
    assert reference.num_faces == 1280 and reference.vertex_normals is not None
    if variant == "indented face":  # an indented element line sends the file to the line-by-line reader
        text = text.replace("\nf ", "\n  f ", 1)
    elif variant == "crlf and tabs":
        text = text.replace("\n", "\r\n").replace("v ", "v\t")
    else:
        text = text.replace("\nvt ", "\nvt \\\n", 1)
    other = tmp_path / "other.obj"
    other.write_bytes(text.encode())
    loaded = load_mesh(other)
    for name in ("vertices", "faces", "uvs", "face_uvs_idx", "vertex_colors", "vertex_normals"):
        assert torch.equal(getattr(loaded, name), getattr(reference, name)), name
    expected = trimesh.creation.icosphere(subdivisions=3).vertices.astype(np.float32)
    np.testing.assert_array_equal(loaded.vertices.numpy(), expected)
