"""render.easy_render (Kaolin's render_mesh) on our rasterizer: silhouette, passes and UV convention by hand."""
import math

import numpy as np
import pytest
import torch

from kaolin_pipeline.errors import RenderError
from kaolin_pipeline.ops.surface_mesh import SurfaceMesh
from kaolin_pipeline.render.camera import Camera
from kaolin_pipeline.render.easy_render import RenderPass, default_camera, default_material, render_mesh
from kaolin_pipeline.structures import PBRMaterial

SIZE = 16


def quad(half=0.5, uvs=False):
    """A square in the z = 0 plane facing +z; Kaolin-convention UVs (v' = 1 - v) when asked."""
    vertices = torch.tensor([[-half, -half, 0.0], [half, -half, 0.0], [half, half, 0.0], [-half, half, 0.0]])
    faces = torch.tensor([[0, 1, 2], [0, 2, 3]])
    if not uvs:
        return SurfaceMesh(vertices=vertices, faces=faces)
    file_uvs = torch.tensor([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])  # v up, as files store them
    kaolin_uvs = torch.stack([file_uvs[:, 0], 1 - file_uvs[:, 1]], dim=-1)
    return SurfaceMesh(vertices=vertices, faces=faces, uvs=kaolin_uvs, face_uvs_idx=faces.clone())


def head_on_camera():
    # focal 16 px at distance 2: the half-unit square spans 16 * 0.5 / 2 = 4 px either side of the centre
    return Camera.from_args(eye=torch.tensor([0.0, 0.0, 2.0]), at=torch.zeros(3), up=torch.tensor([0.0, 1.0, 0.0]),
                            width=SIZE, height=SIZE, focal_x=16.0)


def test_silhouette_normals_and_albedo_by_hand():
    result = render_mesh(head_on_camera(), quad())
    assert set(result) == {"face_idx", "render", "albedo", "normals", "diffuse", "specular"}
    inside = torch.zeros(SIZE, SIZE, dtype=torch.bool)
    inside[4:12, 4:12] = True  # pixel centres 4.5 .. 11.5 lie within 8 +- 4
    assert torch.equal(result[RenderPass.face_idx][0] >= 0, inside)
    green = default_material().diffuse_color
    torch.testing.assert_close(result["albedo"][0][inside], green.expand(64, 3))
    assert torch.equal(result["albedo"][0][~inside], torch.zeros(SIZE * SIZE - 64, 3))
    torch.testing.assert_close(result["normals"][0][inside], torch.tensor([0.0, 0.0, 1.0]).expand(64, 3))
    torch.testing.assert_close(result["render"], result["diffuse"] + result["specular"])
    assert bool((result["diffuse"][0][inside].sum(-1) > 0).all()) and bool((result["render"][0][~inside] == 0).all())


def test_back_face_normals_turn_to_the_camera_and_diffuse_is_linear_in_albedo():
    back = Camera.from_args(eye=torch.tensor([0.0, 0.0, -2.0]), at=torch.zeros(3), up=torch.tensor([0.0, 1.0, 0.0]),
                            width=SIZE, height=SIZE, focal_x=16.0)
    result = render_mesh(back, quad())
    inside = result["face_idx"][0] >= 0
    torch.testing.assert_close(result["normals"][0][inside], torch.tensor([0.0, 0.0, -1.0]).expand(64, 3))
    camera = head_on_camera()
    grey = [PBRMaterial(diffuse_color=torch.tensor([0.2, 0.4, 0.8]), is_specular_workflow=True,
                        specular_color=torch.zeros(3))]
    twice = [PBRMaterial(diffuse_color=torch.tensor([0.4, 0.8, 1.6]), is_specular_workflow=True,
                         specular_color=torch.zeros(3))]
    assignments = torch.zeros(2, dtype=torch.long)
    one = render_mesh(camera, quad(), custom_materials=grey, custom_material_assignments=assignments)
    two = render_mesh(camera, quad(), custom_materials=twice, custom_material_assignments=assignments)
    torch.testing.assert_close(two["diffuse"], 2 * one["diffuse"])  # Lambertian: linear in the albedo
    torch.testing.assert_close(two["specular"], one["specular"])  # Schlick's Fresnel: F0 only


def test_textures_are_upright_and_uvs_interpolate():
    texture = torch.zeros(3, 4, 4)
    texture[0, :2] = 1.0  # rows 0-1 (the top of the image file) red
    texture[2, 2:] = 1.0  # bottom blue
    material = PBRMaterial(diffuse_texture=texture, is_specular_workflow=True, specular_color=torch.zeros(3))
    result = render_mesh(head_on_camera(), quad(uvs=True), custom_materials=[material],
                         custom_material_assignments=torch.zeros(2, dtype=torch.long))
    albedo = result["albedo"][0]
    torch.testing.assert_close(albedo[5, 8], torch.tensor([1.0, 0.0, 0.0]))  # upper part of the square: red
    torch.testing.assert_close(albedo[10, 8], torch.tensor([0.0, 0.0, 1.0]))
    # pixel (row 4, col 4) centre is 3.5 px left and up of the centre: u = 0.5 - 3.5 / 8, v' = 1 - (0.5 + 3.5 / 8)
    torch.testing.assert_close(result["uvs"][0, 4, 4], torch.tensor([1 / 16, 1 / 16]))


def test_kaolins_channels_last_texture_renders_as_the_channels_first_one():
    texture = torch.zeros(3, 5, 6)
    texture[0, :2] = 1.0  # top rows red
    texture[2, 2:] = 1.0  # the rest blue
    rendered = []
    for layout in (texture, texture.permute(1, 2, 0)):  # the project's (3, H, W), Kaolin's importers' (H, W, 3)
        material = PBRMaterial(diffuse_texture=layout, is_specular_workflow=True, specular_color=torch.zeros(3))
        rendered.append(render_mesh(head_on_camera(), quad(uvs=True), custom_materials=[material],
                                    custom_material_assignments=torch.zeros(2, dtype=torch.long))["albedo"])
    torch.testing.assert_close(rendered[1], rendered[0])
    torch.testing.assert_close(rendered[0][0, 5, 8], torch.tensor([1.0, 0.0, 0.0]))


def test_refuses_batches_of_cameras():
    cameras = Camera.cat([default_camera(8), default_camera(8)])
    with pytest.raises(RenderError, match="single camera"):
        render_mesh(cameras, quad())


def test_default_material_moves_like_kaolins():
    material = default_material((1.0, 0.0, 0.0)).cpu()
    assert material.diffuse_color.tolist() == [1.0, 0.0, 0.0] and material.is_specular_workflow
    torch.testing.assert_close(material.specular_color, torch.tensor([0.7, 0.5, 0.7]))
