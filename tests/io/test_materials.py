"""Materials (Kaolin's ``SurfaceMesh.materials`` / ``material_assignments``): files, validation, rendering."""
import math

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
    return torch.randint(0, 256, shape, generator=torch.Generator().manual_seed(seed)).float() * (1 / 255)


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
    # every material of the library sorted by name, as Kaolin lists them; the face before any usemtl is
    # unassigned; the quad is 2 triangles
    assert [m.material_name for m in mesh.materials] == ["Wood Grain", "plain", "unused"]
    assert mesh.material_assignments.tolist() == [-1, 0, 1, 1, 0]
    wood, plain, unused = mesh.materials
    assert unused.diffuse_color.tolist() == [0.0, 1.0, 0.0]
    assert plain.diffuse_color.tolist() == pytest.approx([0.1, 0.2, 0.3])
    assert plain.specular_color.tolist() == pytest.approx([0.5] * 3) and not plain.is_specular_workflow
    assert plain.roughness_value.tolist() == [0.25] and plain.opacity_value.tolist() == [0.5]
    assert plain.diffuse_texture is None
    assert wood.opacity_value.tolist() == [0.75] and wood.metallic_value.tolist() == [1.0]
    assert wood.diffuse_texture.shape == (3, 2, 3)
    assert wood.diffuse_texture[:, 0, 0].tolist() == [1.0, 0.0, 0.0] and wood.diffuse_texture[:, 1].sum() == 0
    assert wood.roughness_texture.shape == (1, 2, 2) and torch.allclose(wood.roughness_texture, torch.tensor(0.2))
    assert mesh.texture is None  # faces use several materials (and one none)
    assert mesh.uvs[2].tolist() == [1.0, 1.0]  # UVs as stored in the file


def test_mtl_map_ns_and_map_refl_read_one_channel_as_roughness_and_metallic(tmp_path):
    """Blender's / Kaolin's mapping: ``map_Ns -imfchan g`` is the roughness texture, ``map_refl -imfchan b`` the
    metallic one (glTF's roughness-metallic image); ``map_Pr``/``map_Pm`` win over them; a colour map ignores
    ``-imfchan``."""
    from PIL import Image

    pixels = np.zeros((2, 3, 3), dtype=np.uint8)
    pixels[..., 0], pixels[..., 1], pixels[..., 2] = 10, 20, 30
    pixels[1, 2] = (200, 150, 100)
    Image.fromarray(pixels).save(tmp_path / "rm.png")
    Image.fromarray(np.full((2, 2), 51, np.uint8)).save(tmp_path / "rough.png")
    (tmp_path / "scene.mtl").write_text(
        "newmtl gltf_like\nmap_Kd -imfchan r rm.png\nmap_Ns -imfchan g rm.png\nmap_refl -imfchan b rm.png\n"
        "newmtl explicit\nmap_Ns -imfchan g rm.png\nmap_Pr rough.png\nmap_refl -imfchan b rm.png\n"
        "newmtl plain_refl\nmap_refl -bm 1 rm.png\n")
    (tmp_path / "scene.obj").write_text(
        "mtllib scene.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\n"
        "usemtl gltf_like\nf 1/1 2/2 3/3\nusemtl explicit\nf 1/1 3/3 2/2\nusemtl plain_refl\nf 2/2 1/1 3/3\n")
    explicit, gltf_like, plain_refl = load_mesh(tmp_path / "scene.obj").materials
    green, blue = np.array(pixels[..., 1:2]), np.array(pixels[..., 2:3])  # (H, W, 1) bytes
    assert gltf_like.roughness_texture.shape == (1, 2, 3)
    assert torch.allclose(gltf_like.roughness_texture, torch.from_numpy(green.transpose(2, 0, 1) / np.float32(255)))
    assert torch.allclose(gltf_like.metallic_texture, torch.from_numpy(blue.transpose(2, 0, 1) / np.float32(255)))
    assert torch.equal((gltf_like.diffuse_texture * 255).round().permute(1, 2, 0).byte(), torch.from_numpy(pixels))
    assert torch.allclose(explicit.roughness_texture, torch.tensor(0.2))  # map_Pr, though map_Ns comes first
    assert torch.equal(explicit.metallic_texture, gltf_like.metallic_texture)
    luminance = np.asarray(Image.open(tmp_path / "rm.png").convert("L"), dtype=np.float32) / np.float32(255)
    assert torch.allclose(plain_refl.metallic_texture[0], torch.from_numpy(luminance))  # no -imfchan: grey


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
    (tmp_path / "b.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nusemtl ghost\nf 1 2 3\n")
    with pytest.warns(UserWarning, match="names no mtllib"):
        assert load_mesh(tmp_path / "b.obj").materials[0].material_name == "ghost"


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


# --------------------------------------------------------------------------- glTF / GLB

def _png_data_uri(pixels):
    import base64
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def write_hand_made_gltf(path):
    """Two primitives (two triangles of a unit square), two materials, the second node translated by +2 x.

    glTF UVs have v pointing down: (0, 0) is the top-left of the image.
    """
    import base64
    import json

    positions = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], np.float32)
    uvs = np.array([[0, 1], [1, 1], [1, 0], [0, 0]], np.float32)  # file convention
    first, second = np.array([0, 1, 2], np.uint16), np.array([0, 2, 3], np.uint16)
    blobs = [positions.tobytes(), uvs.tobytes(), first.tobytes(), second.tobytes()]
    offsets = np.cumsum([0] + [len(b) for b in blobs]).tolist()
    data = b"".join(blobs)
    pixels = np.zeros((2, 2, 3), np.uint8)
    pixels[0, 0] = (255, 0, 0)  # top-left red
    views = [{"buffer": 0, "byteOffset": offsets[i], "byteLength": len(b)} for i, b in enumerate(blobs)]
    gltf = {
        "asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0, 1]}],
        "nodes": [{"mesh": 0}, {"mesh": 1, "translation": [2, 0, 0]}],
        "meshes": [
            {"primitives": [{"attributes": {"POSITION": 0, "TEXCOORD_0": 1}, "indices": 2, "material": 0}]},
            {"primitives": [{"attributes": {"POSITION": 0, "TEXCOORD_0": 1}, "indices": 3, "material": 1}]}],
        "materials": [
            {"name": "paint", "pbrMetallicRoughness": {"baseColorFactor": [0.2, 0.4, 0.6, 1.0],
                                                       "metallicFactor": 0.0, "roughnessFactor": 0.5}},
            {"name": "picture", "pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}],
        "textures": [{"source": 0}], "images": [{"uri": _png_data_uri(pixels)}],
        "buffers": [{"byteLength": len(data), "uri": "data:application/octet-stream;base64,"
                     + base64.b64encode(data).decode()}],
        "bufferViews": views,
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": 4, "type": "VEC3", "min": [0, 0, 0], "max": [1, 1, 0]},
            {"bufferView": 1, "componentType": 5126, "count": 4, "type": "VEC2"},
            {"bufferView": 2, "componentType": 5123, "count": 3, "type": "SCALAR"},
            {"bufferView": 3, "componentType": 5123, "count": 3, "type": "SCALAR"}],
    }
    path.write_text(json.dumps(gltf))


def test_gltf_reads_one_material_per_primitive_without_atlas(tmp_path):
    write_hand_made_gltf(tmp_path / "hand.gltf")
    mesh = load_mesh(tmp_path / "hand.gltf")
    assert [m.material_name for m in mesh.materials] == ["paint", "picture"]
    assert mesh.material_assignments.tolist() == [0, 1]
    paint, picture = mesh.materials
    assert torch.allclose(paint.diffuse_color, torch.tensor([0.2, 0.4, 0.6]), atol=0.5 / 255)
    assert paint.roughness_value.tolist() == [0.5] and paint.metallic_value.tolist() == [0.0]
    assert paint.diffuse_texture is None
    assert picture.diffuse_texture.shape == (3, 2, 2)  # the image itself, not an atlas
    assert picture.diffuse_texture[:, 0, 0].tolist() == [1.0, 0.0, 0.0]
    # second node moved by +2 x; faces keep their winding
    assert mesh.vertices[mesh.faces[1]].tolist() == [[2, 0, 0], [3, 1, 0], [2, 1, 0]]
    # UVs with origin at the bottom-left: the file's (0, 0) (top-left) becomes (0, 1)
    assert mesh.uvs[mesh.face_uvs_idx[1]].tolist() == [[0, 0], [1, 1], [0, 1]]
    assert mesh.texture is None


@pytest.mark.parametrize("ext", [".glb", ".gltf"])
def test_gltf_round_trip_keeps_materials_and_renders_the_same(tmp_path, ext):
    mesh = two_material_mesh()
    save_mesh(tmp_path / f"two{ext}", mesh)
    loaded = load_mesh(tmp_path / f"two{ext}")
    assert loaded.material_assignments.tolist() == [0, 0, 1, 1, -1]  # faces already grouped: order kept
    assert_same_materials(loaded.materials, mesh.materials,
                          ["diffuse_color", "diffuse_texture", "roughness_value", "metallic_value"])
    assert torch.equal(loaded.vertices[loaded.faces], mesh.vertices[mesh.faces])
    assert torch.equal(render(loaded)["image"], render(mesh)["image"])


def test_gltf_groups_faces_by_material_and_keeps_pbr_textures(tmp_path):
    normals = torch.nn.functional.normalize(torch.rand(3, 2, 2) * 2 - 1, dim=0)
    a = PBRMaterial(diffuse_color=(0.0, 1.0, 0.0), roughness_texture=byte_values(1, 2, 2, seed=1),
                    metallic_texture=byte_values(1, 2, 2, seed=2), normals_texture=normals, material_name="a")
    b = PBRMaterial(diffuse_color=(0.0, 0.0, 1.0), material_name="b")
    mesh = Mesh(vertices=torch.rand(6, 3), faces=torch.tensor([[0, 1, 2], [3, 4, 5], [0, 2, 4]]),
                uvs=torch.rand(6, 2), face_uvs_idx=torch.tensor([[0, 1, 2], [3, 4, 5], [0, 2, 4]]),
                materials=[a, b], material_assignments=torch.tensor([1, 0, 1]))
    save_mesh(tmp_path / "g.glb", mesh)
    loaded = load_mesh(tmp_path / "g.glb")
    # material 0's faces first, then material 1's in their order
    assert loaded.material_assignments.tolist() == [0, 1, 1]
    assert torch.equal(loaded.vertices[loaded.faces], mesh.vertices[mesh.faces[[1, 0, 2]]])
    got = loaded.materials[0]
    assert torch.equal(got.roughness_texture, a.roughness_texture)
    assert torch.equal(got.metallic_texture, a.metallic_texture)
    assert torch.allclose(got.normals_texture, normals, atol=1 / 255 + 1e-6)


# --------------------------------------------------------------------------- one UV convention

@pytest.mark.parametrize("ext", [".obj", ".glb", ".gltf", ".usda"])
def test_textured_quad_shows_the_top_left_texel_top_left_after_a_round_trip(tmp_path, ext):
    texture = torch.full((3, 8, 8), 0.5)
    texture[:, :4, :4] = torch.tensor([1.0, 0.0, 0.0])[:, None, None]  # top-left quarter red
    vertices = torch.tensor([[-1.0, -1.0, 0.0], [1.0, -1.0, 0.0], [1.0, 1.0, 0.0], [-1.0, 1.0, 0.0]]) * HALF
    faces = torch.tensor([[0, 1, 2], [0, 2, 3]])
    uvs = torch.tensor([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])  # origin at the bottom-left
    mesh = Mesh(vertices=vertices, faces=faces, uvs=uvs, face_uvs_idx=faces.clone(), texture=texture)
    save_mesh(tmp_path / f"quad{ext}", mesh)
    loaded = load_mesh(tmp_path / f"quad{ext}")
    image = render(loaded, size=8)["image"][0]
    assert image[0, 0].tolist() == [1.0, 0.0, 0.0] and image[3, 3].tolist() == [1.0, 0.0, 0.0]
    assert torch.allclose(image, texture.permute(1, 2, 0), atol=1 / 255)  # the texture, upright


# --------------------------------------------------------------------------- USD

@pytest.mark.parametrize("ext", [".usda", ".usdc"])
def test_usd_round_trip_keeps_materials_per_geom_subset(tmp_path, ext):
    from pxr import Usd, UsdGeom, UsdShade

    mesh = two_material_mesh()
    mesh.materials[1].normals_texture = torch.nn.functional.normalize(torch.rand(3, 2, 2) * 2 - 1, dim=0)
    mesh.materials[1].roughness_texture = byte_values(1, 3, 2, seed=7)
    save_mesh(tmp_path / f"two{ext}", mesh)
    # what another USD reader sees: one materialBind subset per material, bound to a UsdPreviewSurface
    stage = Usd.Stage.Open(str(tmp_path / f"two{ext}"))
    prim = stage.GetPrimAtPath("/World/Meshes/mesh_0")
    subsets = UsdGeom.Subset.GetGeomSubsets(UsdGeom.Imageable(prim), "face", "materialBind")
    found = {}
    for subset in subsets:
        material, _ = UsdShade.MaterialBindingAPI(subset.GetPrim()).ComputeBoundMaterial()
        shader = material.ComputeSurfaceSource()[0]
        found[material.GetPrim().GetName()] = (list(subset.GetIndicesAttr().Get()), shader.GetIdAttr().Get())
    assert found == {"red_paint": ([0, 1], "UsdPreviewSurface"), "wood": ([2, 3], "UsdPreviewSurface")}
    loaded = load_mesh(tmp_path / f"two{ext}")
    assert loaded.material_assignments.tolist() == [0, 0, 1, 1, -1]
    assert_same_materials(loaded.materials, mesh.materials,
                          ["diffuse_color", "diffuse_texture", "specular_color", "roughness_value", "metallic_value",
                           "opacity_value", "roughness_texture"])
    assert torch.allclose(loaded.materials[1].normals_texture, mesh.materials[1].normals_texture, atol=1 / 255 + 1e-6)
    assert torch.equal(render(loaded)["image"], render(mesh)["image"])


def test_usd_subsets_of_polygons_map_to_their_triangles(tmp_path):
    from pxr import Sdf, Usd, UsdGeom, UsdShade

    path = tmp_path / "quads.usda"
    stage = Usd.Stage.CreateNew(str(path))
    mesh = UsdGeom.Mesh.Define(stage, "/Root/m")
    mesh.CreatePointsAttr([(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0), (2, 0, 0), (2, 1, 0)])
    mesh.CreateFaceVertexCountsAttr([3, 4])  # a triangle, then a quad (2 triangles)
    mesh.CreateFaceVertexIndicesAttr([0, 1, 2, 1, 4, 5, 2])
    material = UsdShade.Material.Define(stage, "/Root/green")
    shader = UsdShade.Shader.Define(stage, "/Root/green/Shader")
    shader.CreateIdAttr("UsdPreviewSurface")
    shader.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).Set((0.0, 1.0, 0.0))
    shader.CreateInput("roughness", Sdf.ValueTypeNames.Float).Set(0.25)
    material.CreateSurfaceOutput().ConnectToSource(shader.CreateOutput("surface", Sdf.ValueTypeNames.Token))
    subset = UsdGeom.Subset.CreateGeomSubset(UsdGeom.Imageable(mesh), "green", "face", [1], "materialBind")
    UsdShade.MaterialBindingAPI.Apply(subset.GetPrim()).Bind(material)
    stage.Save()
    loaded = load_mesh(path)
    assert loaded.material_assignments.tolist() == [-1, 0, 0]
    assert loaded.materials[0].material_name == "green"
    assert loaded.materials[0].diffuse_color.tolist() == [0.0, 1.0, 0.0]
    assert loaded.materials[0].roughness_value.tolist() == [0.25]
    subset.GetIndicesAttr().Set([2])
    stage.Save()
    with pytest.raises(LoadError, match=r"quads\.usda.*GeomSubset .* out of range \[2, 2\] for 2 faces"):
        load_mesh(path)


def test_usd_reads_uvs_from_a_primvar_not_named_st(tmp_path):
    from pxr import Sdf, Usd, UsdGeom

    path = tmp_path / "blender.usda"
    stage = Usd.Stage.CreateNew(str(path))
    mesh = UsdGeom.Mesh.Define(stage, "/m")
    mesh.CreatePointsAttr([(0, 0, 0), (1, 0, 0), (0, 1, 0)])
    mesh.CreateFaceVertexCountsAttr([3])
    mesh.CreateFaceVertexIndicesAttr([0, 1, 2])
    UsdGeom.PrimvarsAPI(mesh).CreatePrimvar("UVMap", Sdf.ValueTypeNames.TexCoord2fArray, "faceVarying").Set(
        [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)])
    stage.Save()
    loaded = load_mesh(path)
    assert loaded.uvs[loaded.face_uvs_idx[0]].tolist() == [[0, 0], [1, 0], [0, 1]]


# --------------------------------------------------------------------------- recipes and item dicts

def test_fit_target_renders_with_its_materials(tmp_path):
    from kaolin_pipeline.train.config import load_config
    from kaolin_pipeline.train.fit import prepare_target

    mesh = two_material_mesh()
    mesh.materials[1].diffuse_texture = torch.zeros(3, 2, 2)
    mesh.materials[1].diffuse_texture[2] = 1.0  # the right half blue
    save_mesh(tmp_path / "target.obj", mesh)
    config = load_config("fit", overrides={"target": str(tmp_path / "target.obj"), "device": "cpu",
                                           "views.image_size": 32, "views.num_views": 2})
    target = prepare_target(config, torch.device("cpu"))
    assert target.mesh.materials is not None
    pixels = target.train.images[target.train.masks > 0]  # (P, 3) covered pixels, lit
    red = (pixels[:, 0] > 0.2) & (pixels[:, 1] < 0.05) & (pixels[:, 2] < 0.05)
    blue = (pixels[:, 2] > 0.2) & (pixels[:, 0] < 0.05) & (pixels[:, 1] < 0.05)
    assert red.sum() > 10 and blue.sum() > 10


def test_item_dicts_carry_materials_through_collate_and_weights_only_files(tmp_path):
    import io

    from kaolin_pipeline.datasets.collate import collate_meshes, item_to_mesh, mesh_to_item

    mesh = two_material_mesh()
    item = mesh_to_item(mesh, "chair", "two.obj")
    buffer = io.BytesIO()
    torch.save(item, buffer)  # what the item cache stores
    loaded = torch.load(io.BytesIO(buffer.getvalue()), weights_only=True)
    back = item_to_mesh(loaded)
    assert back.material_assignments.tolist() == [0, 0, 1, 1, -1]
    assert_same_materials(back.materials, mesh.materials, ["diffuse_color", "diffuse_texture", "specular_color",
                                                           "roughness_value", "metallic_value", "opacity_value"])
    plain = mesh_to_item(Mesh(vertices=torch.rand(3, 3), faces=torch.tensor([[0, 1, 2]])), "x", "x.obj")
    assert "materials" not in plain
    lists = collate_meshes([item, item])
    assert len(lists["materials"]) == 2 and lists["materials"][0][1]["material_name"] == "wood"
    padded = collate_meshes([item, mesh_to_item(Mesh(vertices=mesh.vertices, faces=mesh.faces[:2], uvs=mesh.uvs,
                                                     face_uvs_idx=mesh.face_uvs_idx[:2], materials=mesh.materials,
                                                     material_assignments=torch.tensor([1, 0])), "c", "p")],
                            padded=True)
    assert padded["material_assignments"].tolist() == [[0, 0, 1, 1, -1], [1, 0, -1, -1, -1]]
    assert padded["num_faces"].tolist() == [5, 2]


def test_usd_merges_every_mesh_prim_with_its_transform_and_material_like_kaolin(tmp_path):
    from pxr import Gf, Sdf, Usd, UsdGeom, UsdShade

    path = tmp_path / "scene.usda"
    stage = Usd.Stage.CreateNew(str(path))
    material = UsdShade.Material.Define(stage, "/Looks/blue")
    shader = UsdShade.Shader.Define(stage, "/Looks/blue/Shader")
    shader.CreateIdAttr("UsdPreviewSurface")
    shader.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).Set((0.0, 0.0, 1.0))
    material.CreateSurfaceOutput().ConnectToSource(shader.CreateOutput("surface", Sdf.ValueTypeNames.Token))
    for name, shift in (("a", 0.0), ("b", 5.0), ("c", 9.0)):
        xform = UsdGeom.Xform.Define(stage, f"/World/{name}")
        xform.AddTranslateOp().Set(Gf.Vec3d(shift, 0, 0))
        mesh = UsdGeom.Mesh.Define(stage, f"/World/{name}/shape")
        mesh.CreatePointsAttr([(0, 0, 0), (1, 0, 0), (0, 1, 0)])
        mesh.CreateFaceVertexCountsAttr([3])
        mesh.CreateFaceVertexIndicesAttr([0, 1, 2])
        if name != "b":
            UsdShade.MaterialBindingAPI.Apply(mesh.GetPrim()).Bind(material)
    stage.Save()
    merged = load_mesh(path)
    assert merged.faces.tolist() == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert merged.vertices[:, 0].tolist() == [0, 1, 0, 5, 6, 5, 9, 10, 9]
    assert [m.material_name for m in merged.materials] == ["blue"]  # one USD material, listed once
    assert merged.material_assignments.tolist() == [0, -1, 0]
    from kaolin_pipeline.io import usd

    only = usd.import_mesh(path, prim_path="/World/b/shape")
    assert only.vertices[:, 0].tolist() == [5, 6, 5] and only.materials is None


def test_final_assets_and_info_keep_the_materials(tmp_path):
    from kaolin_pipeline.export.assets import export_assets
    from kaolin_pipeline.io.describe import describe_file

    mesh = two_material_mesh()
    written = export_assets(mesh, tmp_path, formats=("obj", "glb", "usd", "ply"))
    for fmt in ("obj", "glb", "usd"):
        loaded = load_mesh(written[fmt])
        assert loaded.material_assignments.tolist() == [0, 0, 1, 1, -1], fmt
        assert [m.material_name for m in loaded.materials] == ["red_paint", "wood"], fmt
        assert torch.equal(loaded.materials[1].diffuse_texture, mesh.materials[1].diffuse_texture), fmt
    assert load_mesh(written["ply"]).materials is None
    text = describe_file(written["obj"])
    assert "material 0 red_paint: 2 faces; diffuse_color, specular_color, roughness_value" in text
    assert "material 1 wood: 2 faces; diffuse_color, diffuse_texture, metallic_value, opacity_value" in text


def test_usd_material_names_that_become_the_same_prim_name_stay_two_materials(tmp_path):
    mesh = two_material_mesh()
    mesh.materials[0].material_name, mesh.materials[1].material_name = "paint-1", "paint.1"
    save_mesh(tmp_path / "same.usda", mesh)
    loaded = load_mesh(tmp_path / "same.usda")
    assert [m.material_name for m in loaded.materials] == ["paint_1", "paint_1_1"]
    assert loaded.material_assignments.tolist() == [0, 0, 1, 1, -1]
    assert loaded.materials[1].diffuse_texture is not None and loaded.materials[0].diffuse_texture is None


def test_usd_materials_are_listed_in_prim_path_order(tmp_path):
    mesh = two_material_mesh()
    mesh.materials = mesh.materials[::-1]  # "wood" first, "red_paint" second
    mesh.material_assignments = torch.tensor([1, 1, 0, 0, -1])
    save_mesh(tmp_path / "order.usda", mesh)
    loaded = load_mesh(tmp_path / "order.usda")
    assert [m.material_name for m in loaded.materials] == ["red_paint", "wood"]
    assert loaded.material_assignments.tolist() == [0, 0, 1, 1, -1]


def test_obj_writes_a_texture_shared_by_materials_once_and_reads_it_back_shared(tmp_path):
    mesh = two_material_mesh()
    mesh.materials[0].diffuse_texture = mesh.materials[1].diffuse_texture
    save_mesh(tmp_path / "shared.obj", mesh)
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["shared_0_diffuse.png"]
    loaded = load_mesh(tmp_path / "shared.obj")
    assert loaded.materials[0].diffuse_texture is loaded.materials[1].diffuse_texture


def test_obj_missing_texture_image_warns_and_corrupt_one_raises_naming_it(tmp_path):
    (tmp_path / "a.mtl").write_text("newmtl m\nKd 0.5 0.25 1\nmap_Kd gone.png\n")
    (tmp_path / "a.obj").write_text("mtllib a.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\n"
                                    "usemtl m\nf 1/1 2/2 3/3\n")
    with pytest.warns(UserWarning, match="gone.png not found"):
        mesh = load_mesh(tmp_path / "a.obj")
    assert mesh.materials[0].diffuse_texture is None and mesh.materials[0].diffuse_color.tolist() == [0.5, 0.25, 1.0]
    (tmp_path / "gone.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(LoadError, match="gone.png"):
        load_mesh(tmp_path / "a.obj")


def test_a_list_of_meshes_with_and_without_materials_renders_each_as_alone():
    with_materials = two_material_mesh()
    plain = Mesh(vertices=with_materials.vertices, faces=with_materials.faces,
                 vertex_colors=torch.full((8, 3), 0.25))
    together = render([with_materials, plain])["image"]
    assert torch.equal(together[0], render(with_materials)["image"][0])
    assert torch.equal(together[1], render(plain)["image"][0])
    assert not torch.equal(together[0], together[1])
