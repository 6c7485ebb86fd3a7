"""Texture wrap modes: UVs outside [0, 1] repeat, mirror or clamp as each material's sampler says.

The expectation is computed by hand from the quad's projected corners: a fronto-parallel quad has
UVs linear in screen x, so the texel of each pixel follows from its position alone.
"""
import json
import math

import numpy as np
import pytest
import torch
import trimesh

from kaolin_pipeline.io import load_mesh
from kaolin_pipeline.render.camera import look_at_cameras
from kaolin_pipeline.render.renderer import DIBRenderer
from kaolin_pipeline.render.texture import texture_mapping, wrap_uv
from kaolin_pipeline.structures import Mesh, PBRMaterial

SIZE, REPEATS, HALF_WIDTH, DISTANCE, FOVY = 64, 3.0, 0.8, 3.0, 40.0
BLACK_WHITE = torch.tensor([[[0.0, 1.0]]]).expand(3, 1, 2).clone()  # (3, 1, 2): left texel black, right white


def _quad(wrap_mode) -> Mesh:
    vertices = torch.tensor([[-HALF_WIDTH, -0.5, 0.0], [HALF_WIDTH, -0.5, 0.0], [HALF_WIDTH, 0.5, 0.0],
                             [-HALF_WIDTH, 0.5, 0.0]])
    faces = torch.tensor([[0, 1, 2], [0, 2, 3]])
    uvs = torch.tensor([[0.0, 0.0], [REPEATS, 0.0], [REPEATS, 1.0], [0.0, 1.0]])
    return Mesh(vertices=vertices, faces=faces, uvs=uvs, face_uvs_idx=faces,
                materials=[PBRMaterial(diffuse_texture=BLACK_WHITE, wrap_mode=wrap_mode)],
                material_assignments=torch.zeros(2, dtype=torch.long))


def _expected_white(u: np.ndarray, wrap: str) -> np.ndarray:
    if wrap == "repeat":
        t = u - np.floor(u)
    elif wrap == "mirror":
        t = 1.0 - np.abs(np.mod(u, 2.0) - 1.0)
    else:
        t = np.clip(u, 0.0, 1.0)
    return t >= 0.5


@pytest.mark.parametrize("wrap, stripes", [("repeat", 6), ("mirror", 4), ("clamp", 2), (None, 6)])
def test_quad_with_uvs_beyond_one_renders_the_texture_wrapped(wrap, stripes):
    cameras = look_at_cameras([0.0], 0.0, DISTANCE, FOVY)
    out = DIBRenderer(SIZE, texture_mode="nearest")(_quad(wrap), cameras=cameras, soft_mask=False)
    row = out["image"][0, SIZE // 2, :, 0].numpy()
    covered = out["face_idx"][0, SIZE // 2].numpy() >= 0
    # hand-computed: the quad spans x_ndc in [-w, w] with w = HALF_WIDTH / (DISTANCE tan(fovy / 2))
    half = HALF_WIDTH / (DISTANCE * math.tan(math.radians(FOVY) / 2))
    x_ndc = (np.arange(SIZE) + 0.5) / SIZE * 2 - 1
    u = (x_ndc + half) / (2 * half) * REPEATS
    inside = np.abs(x_ndc) < half - 1.5 * 2 / SIZE
    assert covered[inside].all()
    # compare away from the stripe edges (within 1.5 px of a change the pixel may fall either side)
    edges = np.arange(0, REPEATS + 0.01, 0.5)
    far_from_edge = np.min(np.abs(u[:, None] - edges[None, :]), axis=1) > 1.5 * REPEATS / (2 * half * SIZE / 2)
    check = inside & far_from_edge
    assert check.sum() > SIZE // 3
    np.testing.assert_array_equal(row[check] > 0.5, _expected_white(u[check], wrap or "repeat"))
    runs = 1 + int(np.count_nonzero(np.diff(row[covered] > 0.5)))
    assert runs == stripes


def test_wrap_keeps_in_range_uvs_and_kaolin_default_clamps():
    uv = torch.tensor([[0.0, 1.0], [0.25, 0.75], [1.25, -0.25], [2.75, 3.5], [-1.25, 1.0]])
    assert torch.equal(wrap_uv(uv[:2], "repeat"), uv[:2]) and torch.equal(wrap_uv(uv[:2], "mirror"), uv[:2])
    torch.testing.assert_close(wrap_uv(uv, "repeat")[2:], torch.tensor([[0.25, 0.75], [0.75, 0.5], [0.75, 1.0]]))
    torch.testing.assert_close(wrap_uv(uv, "mirror")[2:], torch.tensor([[0.75, 0.25], [0.75, 0.5], [0.75, 1.0]]))
    torch.testing.assert_close(wrap_uv(uv, ("clamp", "repeat"))[2:],
                               torch.tensor([[1.0, 0.75], [1.0, 0.5], [0.0, 1.0]]))
    maps = torch.arange(4.0).reshape(1, 1, 1, 4)  # texels 0 1 2 3 left to right
    points = torch.tensor([[[1.125, 0.5], [-0.125, 0.5]]])
    assert texture_mapping(points, maps).flatten().tolist() == [3.0, 0.0]  # Kaolin's semantics: clamp
    assert texture_mapping(points, maps, wrap="repeat").flatten().tolist() == [0.0, 3.0]


def _box_gltf(tmp_path, wrap_s, wrap_t):
    """A textured box written by trimesh, its sampler then set in the JSON as another exporter would."""
    box = trimesh.creation.box()
    uv = np.random.default_rng(0).uniform(0, 6, size=(len(box.vertices), 2))
    from PIL import Image

    box.visual = trimesh.visual.TextureVisuals(uv=uv, image=Image.new("RGB", (2, 2), (200, 10, 10)))
    box.visual.material.name = "boxmat"
    document = json.loads(trimesh.exchange.gltf.export_gltf(box, embed_buffers=True)["model.gltf"])
    document["samplers"] = [{"wrapS": wrap_s, "wrapT": wrap_t}]
    for texture in document["textures"]:
        texture["sampler"] = 0
    document["materials"][0]["name"] = "boxmat"
    path = tmp_path / "box.gltf"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize("codes, expected", [((10497, 10497), "repeat"), ((33648, 33648), "mirror"),
                                             ((33071, 10497), ("clamp", "repeat"))])
def test_gltf_sampler_wrap_modes_are_kept(tmp_path, codes, expected):
    mesh = load_mesh(_box_gltf(tmp_path, *codes))
    assert [material.wrap_mode for material in mesh.materials] == [expected]


def test_mtl_clamp_option_and_file_name_with_spaces(tmp_path):
    from PIL import Image

    Image.new("RGB", (4, 2), (255, 0, 0)).save(tmp_path / "fuze uv.png")
    Image.new("RGB", (4, 2), (0, 0, 255)).save(tmp_path / "plain.png")
    (tmp_path / "m.mtl").write_text(
        "newmtl spaced\nKd 1 1 1\nmap_Kd -s 1 1 1 -o 0.5 0 -bm 1 -blendu on fuze uv.png\n"
        "newmtl clamped\nmap_Kd -clamp on plain.png\n")
    (tmp_path / "m.obj").write_text(
        "mtllib m.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 2 0\nvt 0 2\n"
        "usemtl spaced\nf 1/1 2/2 3/3\nusemtl clamped\nf 1/1 3/3 2/2\n")
    mesh = load_mesh(tmp_path / "m.obj")
    by_name = {material.material_name: material for material in mesh.materials}
    spaced, clamped = by_name["spaced"], by_name["clamped"]
    assert spaced.diffuse_texture[:, 0, 0].tolist() == [1.0, 0.0, 0.0] and spaced.wrap_mode == "repeat"
    assert clamped.diffuse_texture[:, 0, 0].tolist() == [0.0, 0.0, 1.0] and clamped.wrap_mode == "clamp"


def test_mtl_with_no_usable_statement_warns(tmp_path):
    (tmp_path / "junk.mtl").write_bytes(b"\x00\x01garbage here\nmore nonsense 1 2 3\n")
    (tmp_path / "m.obj").write_text("mtllib junk.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nusemtl a\nf 1 2 3\n")
    with pytest.warns(UserWarning, match=r"junk\.mtl: no MTL statement could be read"):
        load_mesh(tmp_path / "m.obj")


def test_usd_uv_texture_wrap_inputs_are_read_and_written(tmp_path):
    from pxr import Usd, UsdShade

    from kaolin_pipeline.io import save_mesh

    quad = _quad(("mirror", "clamp"))
    save_mesh(tmp_path / "quad.usda", quad)
    stage = Usd.Stage.Open(str(tmp_path / "quad.usda"))  # what pxr itself sees in the file
    shaders = [UsdShade.Shader(prim) for prim in stage.Traverse() if prim.GetName() == "diffuse_texture"]
    assert [(s.GetInput("wrapS").Get(), s.GetInput("wrapT").Get()) for s in shaders] == [("mirror", "clamp")]
    shaders[0].GetInput("wrapS").Set("black")
    shaders[0].GetInput("wrapT").Set("black")
    stage.Save()
    assert load_mesh(tmp_path / "quad.usda").materials[0].wrap_mode == "clamp"


def test_gltf_texture_without_sampler_leaves_wrap_mode_unset(tmp_path):
    path = _box_gltf(tmp_path, 10497, 10497)
    document = json.loads(path.read_text())
    del document["samplers"]
    for texture in document["textures"]:
        del texture["sampler"]
    path.write_text(json.dumps(document))
    assert [material.wrap_mode for material in load_mesh(path).materials] == [None]  # None: glTF's repeat
