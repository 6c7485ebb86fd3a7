"""Mesh.appearance: one normal form (materials + assignments, a single texture being one material; or vertex
colours; or none), checked by hand, against the renderer's tensor arguments and against written files."""
import dataclasses

import pytest
import torch

from kaolin_pipeline.datasets import make_shape
from kaolin_pipeline.io import load_mesh, save_mesh
from kaolin_pipeline.render import DIBRenderer, DirectionalLight, look_at_cameras
from kaolin_pipeline.structures import Mesh, PBRMaterial

TRIANGLE = torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
FACES = torch.tensor([[0, 1, 2], [0, 2, 1]])


def _textured():
    mesh = make_shape("blob", torch.Generator().manual_seed(3))
    return dataclasses.replace(mesh, vertex_colors=None)


def test_each_case_in_normal_form():
    texture = torch.rand(3, 4, 4)
    uvs, face_uvs_idx = torch.rand(3, 2), FACES.clone()
    single = Mesh(TRIANGLE, FACES, uvs=uvs, face_uvs_idx=face_uvs_idx, texture=texture).appearance
    assert single.kind == "materials" and single.single_texture and single.texture is texture
    assert len(single.materials) == 1 and single.materials[0].diffuse_texture is texture
    assert torch.equal(single.material_assignments, torch.tensor([0, 0]))
    red = PBRMaterial(diffuse_color=[1.0, 0.0, 0.0])
    own = Mesh(TRIANGLE, FACES, uvs=uvs, face_uvs_idx=face_uvs_idx, texture=texture, materials=[red],
               material_assignments=torch.tensor([0, -1])).appearance
    assert own.kind == "materials" and not own.single_texture and own.texture is None  # its materials win
    assert own.materials == [red] and torch.equal(own.material_assignments, torch.tensor([0, -1]))
    colours = torch.rand(3, 3)
    coloured = Mesh(TRIANGLE, FACES, vertex_colors=colours, texture=texture).appearance  # no UVs: no texture
    assert coloured.kind == "vertex_colors" and coloured.materials is None and coloured.vertex_colors is colours
    assert Mesh(TRIANGLE, FACES).appearance.kind == "none"


def test_renders_equal_the_renderer_given_the_same_colours_as_tensors():
    mesh = _textured()
    cameras = look_at_cameras(torch.tensor([0.0, 120.0]), 20.0, 3.0, 30.0)
    for renderer in (DIBRenderer(32, shading="smooth"), DIBRenderer(24, texture_mode="nearest")):
        out = renderer(mesh, cameras=cameras, lights=DirectionalLight())
        by_tensors = renderer(mesh.vertices, mesh.faces, cameras, uvs=mesh.uvs, face_uvs_idx=mesh.face_uvs_idx,
                              texture=mesh.texture, lights=DirectionalLight())
        for key in out:
            assert torch.equal(out[key], by_tensors[key]), key
    coloured = dataclasses.replace(mesh, texture=None, vertex_colors=torch.rand(mesh.num_vertices, 3))
    out = DIBRenderer(24)(coloured, cameras=cameras)
    assert torch.equal(out["image"], DIBRenderer(24)(mesh.vertices, mesh.faces, cameras,
                                                     vertex_colors=coloured.vertex_colors)["image"])


@pytest.mark.parametrize("suffix", [".obj", ".usda"])
def test_a_single_texture_keeps_its_plain_file_form(tmp_path, suffix):
    mesh = _textured()
    save_mesh(tmp_path / f"mesh{suffix}", mesh)
    if suffix == ".obj":
        mtl = (tmp_path / "mesh.mtl").read_text()
        assert mtl.count("newmtl") == 1 and "newmtl material_0" in mtl and "map_Kd" in mtl
        assert (tmp_path / "mesh.obj").read_text().count("usemtl") == 1
    else:
        text = (tmp_path / "mesh.usda").read_text()
        assert "GeomSubset" not in text and text.count("def Material") == 1
    loaded = load_mesh(tmp_path / f"mesh{suffix}")
    assert loaded.appearance.kind == "materials" and len(loaded.materials) == 1
    assert (loaded.texture - mesh.texture).abs().max() <= 0.5 / 255 + 1e-6  # 8-bit PNG
