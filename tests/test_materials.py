"""Materials (Kaolin's ``SurfaceMesh.materials`` / ``material_assignments``): files, validation, rendering."""
import math
import warnings

import numpy as np
import pytest
import torch

from kaolin_pipeline.errors import LoadError, SaveError
from kaolin_pipeline.io import load_mesh, save_mesh
from kaolin_pipeline.io.validate import validate_mesh
from kaolin_pipeline.render import DIBRenderer, look_at_cameras
from kaolin_pipeline.structures import Mesh, PBRMaterial

FOVY, DISTANCE = 60.0, 2.0
HALF = DISTANCE * math.tan(math.radians(FOVY) / 2)  # a square of this half-size exactly fills the view


def byte_values(*shape, seed=0):
    """Random values on the 8-bit grid, so a PNG round trip is exact."""
    return torch.randint(0, 256, shape, generator=torch.Generator().manual_seed(seed)).float() / 255


def two_material_mesh():
    """A square filling the view, facing +z: left half (faces 0, 1) red, right half (faces 2, 3) textured,
    plus one face (4) below the square, assigned no material.

    Vertices:  3 --- 4 --- 5        UVs of the right half: (0, 0) at 1, (1, 0) at 2, (1, 1) at 5, (0, 1) at 4
               |  A  |  B  |
               0 --- 1 --- 2
    """
    h = HALF
    vertices = torch.tensor([[-h, -h, 0], [0, -h, 0], [h, -h, 0], [-h, h, 0], [0, h, 0], [h, h, 0],
                             [-h, -3 * h, 0], [h, -3 * h, 0]], dtype=torch.float32)
    faces = torch.tensor([[0, 1, 4], [0, 4, 3], [1, 2, 5], [1, 5, 4], [6, 7, 2]])
    uvs = torch.tensor([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    face_uvs_idx = torch.tensor([[0, 0, 0], [0, 0, 0], [0, 1, 2], [0, 2, 3], [0, 0, 0]])
    red = PBRMaterial(diffuse_color=(1.0, 0.0, 0.0), specular_color=(0.2, 0.2, 0.2), roughness_value=0.4,
                      material_name="red_paint")
    textured = PBRMaterial(diffuse_color=(0.8, 0.8, 0.8), diffuse_texture=byte_values(3, 4, 6),
                           metallic_value=0.6, opacity_value=1.0, material_name="wood")
    return Mesh(vertices=vertices, faces=faces, uvs=uvs, face_uvs_idx=face_uvs_idx, materials=[red, textured],
                material_assignments=torch.tensor([0, 0, 1, 1, -1]))


def assert_same_materials(loaded, expected, fields):
    assert len(loaded) == len(expected)
    for got, want in zip(loaded, expected):
        assert got.material_name == want.material_name
        for field in fields:
            want_value, got_value = getattr(want, field), getattr(got, field)
            if want_value is None:
                assert got_value is None, field
            else:
                assert got_value is not None, field
                assert torch.allclose(got_value, want_value, atol=1e-6), field


# --------------------------------------------------------------------------- OBJ + MTL

def test_obj_reads_usemtl_groups_and_mtl_fields_written_by_hand(tmp_path):
    from PIL import Image

    pixels = np.zeros((2, 3, 3), dtype=np.uint8)
    pixels[0, 0] = (255, 0, 0)  # top-left texel red
    Image.fromarray(pixels).save(tmp_path / "wood.png")
    Image.fromarray(np.full((2, 2), 51, np.uint8)).save(tmp_path / "rough.png")
    (tmp_path / "scene.mtl").write_text(
        "newmtl plain\nKd 0.1 0.2 0.3\nKs 0.5 0.5 0.5\nPr 0.25\nd 0.5\n\n"
        "newmtl Wood Grain\nKd 1 1 1\nTr 0.25\nmap_Kd -s 1 1 1 wood.png\nmap_Pr rough.png\nPm 1\n"
        "newmtl unused\nKd 0 1 0\n")
    (tmp_path / "scene.obj").write_text(
        "mtllib scene.mtl\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\n"
        "f 1/1 2/2 3/3\nusemtl Wood Grain\nf 1/1 3/3 4/4\nusemtl plain\nf 1/1 2/2 3/3 4/4\n"
        "usemtl Wood Grain\nf 2/2 3/3 4/4\n")
    mesh = load_mesh(tmp_path / "scene.obj")
    # first use order: Wood Grain, plain; the face before any usemtl is unassigned; the quad is 2 triangles
    assert [m.material_name for m in mesh.materials] == ["Wood Grain", "plain"]
    assert mesh.material_assignments.tolist() == [-1, 0, 1, 1, 0]
    wood, plain = mesh.materials
    assert plain.diffuse_color.tolist() == pytest.approx([0.1, 0.2, 0.3])
    assert plain.specular_color.tolist() == pytest.approx([0.5] * 3) and plain.is_specular_workflow
    assert plain.roughness_value.tolist() == [0.25] and plain.opacity_value.tolist() == [0.5]
    assert plain.diffuse_texture is None
    assert wood.opacity_value.tolist() == [0.75] and wood.metallic_value.tolist() == [1.0]
    assert wood.diffuse_texture.shape == (3, 2, 3)
    assert wood.diffuse_texture[:, 0, 0].tolist() == [1.0, 0.0, 0.0] and wood.diffuse_texture[:, 1].sum() == 0
    assert wood.roughness_texture.shape == (1, 2, 2) and torch.allclose(wood.roughness_texture, torch.tensor(0.2))
    assert mesh.texture is None  # faces use several materials (and one none)
    assert mesh.uvs[2].tolist() == [1.0, 1.0]  # UVs as stored in the file


def test_obj_single_textured_material_also_sets_texture(tmp_path):
    from PIL import Image

    Image.fromarray(np.full((2, 2, 3), 255, np.uint8)).save(tmp_path / "t.png")
    (tmp_path / "a.mtl").write_text("newmtl m\nmap_Kd t.png\n")
    (tmp_path / "a.obj").write_text("mtllib a.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\n"
                                    "usemtl m\nf 1/1 2/2 3/3\n")
    mesh = load_mesh(tmp_path / "a.obj")
    assert mesh.texture is mesh.materials[0].diffuse_texture
    assert mesh.material_assignments.tolist() == [0]


def test_obj_missing_material_and_library_warn_and_keep_the_names(tmp_path):
    (tmp_path / "a.obj").write_text("mtllib nowhere.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nusemtl ghost\nf 1 2 3\n")
    with pytest.warns(UserWarning, match="nowhere.mtl"):
        mesh = load_mesh(tmp_path / "a.obj")
    assert [m.material_name for m in mesh.materials] == ["ghost"] and mesh.materials[0].diffuse_color is None


def test_obj_round_trip_keeps_materials_assignments_and_face_order(tmp_path):
    mesh = two_material_mesh()
    save_mesh(tmp_path / "two.obj", mesh)
    text = (tmp_path / "two.obj").read_text()
    assert text.count("usemtl red_paint") == 1 and text.count("usemtl wood") == 1 and "usemtl\n" in text
    loaded = load_mesh(tmp_path / "two.obj")
    assert torch.equal(loaded.faces, mesh.faces)
    assert loaded.material_assignments.tolist() == [0, 0, 1, 1, -1]
    assert_same_materials(loaded.materials, mesh.materials,
                          ["diffuse_color", "diffuse_texture", "specular_color", "roughness_value", "metallic_value",
                           "opacity_value"])
    assert torch.equal(loaded.uvs[loaded.face_uvs_idx], mesh.uvs[mesh.face_uvs_idx])


def test_obj_round_trip_of_every_texture_kind(tmp_path):
    normals = torch.nn.functional.normalize(torch.rand(3, 3, 3) * 2 - 1, dim=0)
    material = PBRMaterial(diffuse_texture=byte_values(3, 3, 3, seed=1), specular_texture=byte_values(3, 2, 2, seed=2),
                           roughness_texture=byte_values(1, 2, 3, seed=3), metallic_texture=byte_values(1, 3, 2, seed=4),
                           opacity_texture=byte_values(1, 2, 2, seed=5), normals_texture=normals, material_name="all")
    mesh = Mesh(vertices=torch.eye(3), faces=torch.tensor([[0, 1, 2]]), uvs=torch.rand(3, 2),
                face_uvs_idx=torch.tensor([[0, 1, 2]]), materials=[material], material_assignments=torch.tensor([0]))
    save_mesh(tmp_path / "all.obj", mesh)
    loaded = load_mesh(tmp_path / "all.obj").materials[0]
    for name in ("diffuse_texture", "specular_texture", "roughness_texture", "metallic_texture", "opacity_texture"):
        assert torch.equal(getattr(loaded, name), getattr(material, name)), name
    assert torch.allclose(loaded.normals_texture, normals, atol=1 / 255 + 1e-6)  # 8-bit PNG of (n + 1) / 2


# --------------------------------------------------------------------------- validation

def test_material_assignments_out_of_range_or_misshaped_raise_naming_the_source():
    mesh = two_material_mesh()
    mesh.material_assignments = torch.tensor([0, 0, 1, 2, -1])
    with pytest.raises(LoadError, match=r"chair\.obj.*material_assignments out of range \[-1, 2\] for 2"):
        validate_mesh(mesh, "chair.obj")
    mesh.material_assignments = torch.tensor([0, 0, 1])
    with pytest.raises(LoadError, match=r"chair\.obj.*shape \(5,\)"):
        validate_mesh(mesh, "chair.obj")
    mesh.material_assignments = None
    with pytest.raises(LoadError, match="together"):
        validate_mesh(mesh, "chair.obj")


def test_bad_material_texture_shape_raises_and_is_not_saved(tmp_path):
    mesh = two_material_mesh()
    mesh.materials[1].diffuse_texture = torch.rand(4, 4, 3)  # HWC by mistake
    with pytest.raises(LoadError, match=r"x\.obj: material 1 \('wood'\): diffuse_texture must have shape \(3, H, W\)"):
        validate_mesh(mesh, "x.obj")
    with pytest.raises(SaveError, match="x.obj"):
        save_mesh(tmp_path / "x.obj", mesh)
    assert not (tmp_path / "x.obj").exists()


# --------------------------------------------------------------------------- rendering

def render(mesh, size=16):
    renderer = DIBRenderer(size, background=(0.0, 0.0, 0.0), texture_mode="nearest")
    return renderer(mesh, cameras=look_at_cameras(0.0, 0.0, DISTANCE, FOVY), soft_mask=False)


def expected_two_material_image(mesh, face_idx):
    """Per-pixel colour by hand: red on faces 0-1, the texture texel under the pixel on faces 2-3."""
    size = face_idx.shape[-1]
    texture = mesh.materials[1].diffuse_texture  # (3, 4, 6): the right half spans columns size/2.. of the view
    expected = torch.zeros(size, size, 3)
    rows, cols = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    left = (face_idx == 0) | (face_idx == 1)
    right = (face_idx == 2) | (face_idx == 3)
    expected[left] = torch.tensor([1.0, 0.0, 0.0])
    u = (cols.float() + 0.5 - size / 2) / (size / 2)
    v = 1 - (rows.float() + 0.5) / size
    texel_row = ((1 - v) * texture.shape[1]).long().clamp(0, texture.shape[1] - 1)
    texel_col = (u * texture.shape[2]).long().clamp(0, texture.shape[2] - 1)
    expected[right] = texture[:, texel_row[right], texel_col[right]].T
    return expected, left, right


def test_renderer_draws_each_face_with_its_material():
    mesh = two_material_mesh()
    out = render(mesh)
    face_idx = out["face_idx"][0]
    expected, left, right = expected_two_material_image(mesh, face_idx)
    assert left.sum() > 50 and right.sum() > 50 and (face_idx >= 0).all()
    assert torch.allclose(out["image"][0], expected, atol=1e-6)
    # vertex colours and a mesh texture are not used once the mesh has materials
    mesh.vertex_colors = torch.zeros(8, 3)
    mesh.texture = torch.zeros(3, 2, 2)
    assert torch.equal(render(mesh)["image"], out["image"])


def test_unassigned_faces_and_empty_materials_render_white_and_colour_without_uvs():
    mesh = two_material_mesh()
    cameras = look_at_cameras(0.0, 0.0, DISTANCE * 2, FOVY)  # further away: face 4 below the square is in view
    out = DIBRenderer(32)(mesh, cameras=cameras, soft_mask=False)
    assert torch.all(out["image"][0][out["face_idx"][0] == 4] == 1.0) and (out["face_idx"][0] == 4).sum() > 10
    mesh.uvs = mesh.face_uvs_idx = None  # no UVs: the textured material falls back to its diffuse colour
    mesh.materials[0] = PBRMaterial()
    out = DIBRenderer(32)(mesh, cameras=cameras, soft_mask=False)
    face_idx = out["face_idx"][0]
    assert torch.all(out["image"][0][(face_idx == 0) | (face_idx == 1)] == 1.0)
    assert torch.allclose(out["image"][0][(face_idx == 2) | (face_idx == 3)], torch.tensor([0.8, 0.8, 0.8]))


def test_material_textures_and_colours_get_gradients_through_the_soft_renderer():
    mesh = two_material_mesh()
    mesh.materials[0].diffuse_color.requires_grad_(True)
    mesh.materials[1].diffuse_texture.requires_grad_(True)
    out = DIBRenderer(16)(mesh, cameras=look_at_cameras(0.0, 0.0, DISTANCE, FOVY))
    (out["image"].sum() + out["soft_mask"].sum()).backward()
    assert mesh.materials[0].diffuse_color.grad[0] > 0
    assert mesh.materials[1].diffuse_texture.grad.abs().sum() > 0


def test_obj_round_trip_renders_the_same_picture(tmp_path):
    mesh = two_material_mesh()
    save_mesh(tmp_path / "two.obj", mesh)
    loaded = load_mesh(tmp_path / "two.obj")
    assert torch.equal(render(loaded)["image"], render(mesh)["image"])
