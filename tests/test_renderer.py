"""DIBRenderer, look_at_cameras and render presets, checked against closed-form geometry."""
import math

import numpy as np
import pytest
import torch
import trimesh

from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.errors import ConfigError, RenderError
from kaolin_pipeline.render.lighting import DirectionalLight
from kaolin_pipeline.render.presets import load_preset, preset_cameras, preset_lights, preset_renderer
from kaolin_pipeline.render.camera import Cameras, look_at_cameras
from kaolin_pipeline.render.renderer import DIBRenderer

SIZE = 32
FOVY = 40.0
DISTANCE = 3.0
RADIUS = 0.8


def icosphere(subdivisions=3, radius=RADIUS):
    sphere = trimesh.creation.icosphere(subdivisions=subdivisions, radius=radius)
    return torch.tensor(sphere.vertices, dtype=torch.float32), torch.tensor(sphere.faces, dtype=torch.long)


def pixel_radii(size=SIZE):
    """Distance of every pixel centre from the image centre, in image-plane units."""
    centres = (2 * np.arange(size) + 1 - size) / size
    return np.hypot(*np.meshgrid(centres, centres, indexing="ij"))


def silhouette_radius(radius=RADIUS, distance=DISTANCE, fovy=FOVY):
    """Image-plane radius of a sphere's silhouette seen from its centre's axis (tangent cone)."""
    return math.tan(math.asin(radius / distance)) / math.tan(math.radians(fovy) / 2)


def test_look_at_cameras_positions_and_projection():
    cameras = look_at_cameras([0.0, 90.0, 0.0], [0.0, 0.0, 90.0 - 1e-3], 2.0, fovy=60.0)
    assert len(cameras) == 3
    np.testing.assert_allclose(cameras.rotation[0].numpy(), np.eye(3), atol=1e-6)
    np.testing.assert_allclose(cameras.translation[0].numpy(), [0, 0, 2], atol=1e-6)
    np.testing.assert_allclose(cameras.translation[1].numpy(), [2, 0, 0], atol=1e-6)
    np.testing.assert_allclose(cameras.translation[2].numpy(), [0, 2, 0], atol=1e-4)
    focal = 1 / math.tan(math.radians(30.0))
    np.testing.assert_allclose(cameras.projection.reshape(-1).numpy(), [focal, focal, -1], rtol=1e-6)
    # Every camera sees the origin straight ahead at depth −distance.
    origin = torch.zeros(3, 1, 3)
    camera_space = (origin - cameras.translation[:, None]) @ cameras.rotation.transpose(1, 2)
    np.testing.assert_allclose(camera_space.reshape(3, 3).numpy(), [[0, 0, -2]] * 3, atol=1e-5)
    # Azimuth 90°: world +z appears on the camera's left (image −x), world +y stays up.
    assert torch.allclose(cameras.rotation[1] @ torch.tensor([0.0, 0.0, 1.0]), torch.tensor([-1.0, 0.0, 0.0]),
                          atol=1e-6)
    assert torch.allclose(cameras.rotation[1] @ torch.tensor([0.0, 1.0, 0.0]), torch.tensor([0.0, 1.0, 0.0]),
                          atol=1e-6)


def test_cameras_indexing_keeps_batch_dimension():
    cameras = look_at_cameras([0.0, 90.0, 180.0], 10.0, 3.0, fovy=30.0)
    assert len(cameras[1]) == 1 and len(cameras[-1]) == 1 and len(cameras[[0, 2]]) == 2
    assert torch.equal(cameras[2].translation, cameras.translation[2:3])


@pytest.mark.parametrize("call, match", [
    (lambda: look_at_cameras(0.0, 0.0, 3.0, fovy=180.0), "fovy"),
    (lambda: look_at_cameras([0.0, 1.0], [0.0, 1.0, 2.0], 3.0, fovy=30.0), "broadcast"),
    (lambda: look_at_cameras(0.0, 0.0, -1.0, fovy=30.0), "distance"),
    (lambda: Cameras(torch.eye(3), torch.zeros(1, 3), torch.ones(3, 1)), "rotation"),
    (lambda: Cameras(torch.eye(3)[None], torch.zeros(2, 3), torch.ones(3, 1)), "translation"),
    (lambda: Cameras(torch.eye(3)[None], torch.zeros(1, 3), torch.ones(3)), "projection"),
])
def test_bad_camera_arguments_raise_render_error(call, match):
    with pytest.raises(RenderError, match=match):
        call()


def render_sphere(renderer, lights=None, color=(0.2, 0.5, 0.7)):
    vertices, faces = icosphere()
    colors = torch.tensor(color).expand(vertices.shape[0], 3)
    cameras = look_at_cameras(0.0, 0.0, DISTANCE, FOVY)
    return renderer(vertices, faces, cameras, vertex_colors=colors, lights=lights)


def test_sphere_constant_colour_inside_background_outside():
    renderer = DIBRenderer(SIZE, background=(1.0, 0.0, 0.0))
    out = render_sphere(renderer)
    assert out["image"].shape == (1, SIZE, SIZE, 3)
    assert out["soft_mask"].shape == (1, SIZE, SIZE) and out["face_idx"].shape == (1, SIZE, SIZE)
    assert out["face_idx"].dtype == torch.long
    radii, edge = pixel_radii(), silhouette_radius()
    inside, outside = radii < 0.9 * edge, radii > 1.05 * edge
    image = out["image"][0].numpy()
    np.testing.assert_allclose(image[inside], np.tile([0.2, 0.5, 0.7], (inside.sum(), 1)), atol=1e-5)
    np.testing.assert_array_equal(image[outside], np.tile([1.0, 0.0, 0.0], (outside.sum(), 1)))
    face_idx = out["face_idx"][0].numpy()
    assert (face_idx[inside] >= 0).all() and (face_idx[outside] == -1).all()


def test_soft_mask_is_one_inside_and_decays_outside():
    out = render_sphere(DIBRenderer(SIZE, sigmainv=300, boxlen=0.3, knum=100))
    soft = out["soft_mask"][0].numpy()
    radii, edge = pixel_radii(), silhouette_radius()
    assert (soft[radii < 0.9 * edge] > 0.99).all()
    assert (soft[radii > edge + 0.25] < 1e-3).all()
    # Along the middle row going right from the silhouette, the mask decreases strictly.
    row = soft[SIZE // 2]
    start = int(np.argmax(pixel_radii()[SIZE // 2, SIZE // 2:] > edge)) + SIZE // 2
    ramp = row[start:start + 2]
    assert 0.0 < ramp[1] < ramp[0] < 1.0


def test_normals_match_the_analytic_sphere():
    out = render_sphere(DIBRenderer(SIZE, shading="smooth"))
    normals = out["normals"][0].numpy()
    covered = out["face_idx"][0].numpy() >= 0
    np.testing.assert_allclose(np.linalg.norm(normals[covered], axis=-1), 1.0, atol=1e-5)
    assert np.all(normals[~covered] == 0)
    # Ray through each pixel centre, intersected with the sphere, gives the exact camera-space normal.
    focal = 1 / math.tan(math.radians(FOVY) / 2)
    centres = (2 * np.arange(SIZE) + 1 - SIZE) / SIZE
    ys, xs = np.meshgrid(centres[::-1], centres, indexing="ij")
    rays = np.stack([xs / focal, ys / focal, -np.ones_like(xs)], -1)
    rays /= np.linalg.norm(rays, axis=-1, keepdims=True)
    eye_to_centre = np.array([0.0, 0.0, -DISTANCE])
    along = rays @ eye_to_centre
    hit = along - np.sqrt(np.maximum(along ** 2 - DISTANCE ** 2 + RADIUS ** 2, 0.0))
    exact = (rays * hit[..., None] - eye_to_centre) / RADIUS
    inner = pixel_radii() < 0.8 * silhouette_radius()
    cosines = np.sum(normals[inner] * exact[inner], axis=-1)
    assert cosines.min() > math.cos(math.radians(4.0))


def test_lambertian_and_sh_lighting_scale_the_albedo():
    headlight = DirectionalLight((0.0, 0.0, 1.0), ambient=0.25, diffuse=0.5)
    lit = render_sphere(DIBRenderer(SIZE, shading="smooth"), lights=headlight, color=(1.0, 1.0, 1.0))
    normals = lit["normals"][0]
    expected = 0.25 + 0.5 * normals[..., 2].clamp(min=0)
    covered = lit["face_idx"][0] >= 0
    assert torch.allclose(lit["image"][0, ..., 1][covered], expected[covered], atol=1e-5)
    centre = lit["image"][0, SIZE // 2, SIZE // 2, 0].item()
    assert abs(centre - 0.75) < 0.01  # normal ≈ +z facing the camera
    sh = torch.zeros(9)
    sh[0] = 2.0
    flat = render_sphere(DIBRenderer(SIZE), lights=sh, color=(0.5, 0.5, 0.5))
    assert torch.allclose(flat["image"][0][covered], torch.full((int(covered.sum()), 3), 0.5 * 2 * 0.28209479177),
                          atol=1e-5)


def textured_quad(half_size):
    vertices = torch.tensor([[-1.0, -1.0, 0.0], [1.0, -1.0, 0.0], [1.0, 1.0, 0.0], [-1.0, 1.0, 0.0]]) * half_size
    faces = torch.tensor([[0, 1, 2], [0, 2, 3]])
    uvs = torch.tensor([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    return vertices, faces, uvs


@pytest.mark.parametrize("texture_mode", ["nearest", "bilinear"])
def test_uv_textured_quad_reproduces_the_texture(texture_mode):
    size, fovy, distance = 8, 60.0, 2.0
    # The quad exactly fills the view: its half-size projects to 1 on the image plane.
    vertices, faces, uvs = textured_quad(distance * math.tan(math.radians(fovy) / 2))
    texture = torch.rand(3, size, size, generator=torch.Generator().manual_seed(0))
    renderer = DIBRenderer(size, texture_mode=texture_mode)
    out = renderer(vertices, faces, look_at_cameras(0.0, 0.0, distance, fovy),
                   uvs=uvs, face_uvs_idx=faces, texture=texture)
    assert (out["face_idx"] >= 0).all()
    # Pixel (h, w) centre sits at the centre of texel (h, w): row 0 of the texture is the top row.
    assert torch.allclose(out["image"][0], texture.permute(1, 2, 0), atol=1e-5)


def test_batch_of_meshes_times_views_equals_separate_renders():
    vertices, faces = icosphere(subdivisions=2)
    meshes = torch.stack([vertices * torch.tensor([1.0, 0.6, 1.0]), vertices + torch.tensor([0.2, 0.1, 0.0])])
    colors = torch.rand(2, vertices.shape[0], 3, generator=torch.Generator().manual_seed(1))
    cameras = look_at_cameras([0.0, 120.0, 240.0], [10.0, -20.0, 40.0], DISTANCE, FOVY)
    renderer = DIBRenderer(24, background=(0.1, 0.2, 0.3), shading="smooth")
    light = DirectionalLight((0.2, 0.5, 1.0))
    batched = renderer(meshes, faces, cameras, vertex_colors=colors, lights=light)
    assert batched["image"].shape == (6, 24, 24, 3)
    for m in range(2):
        for n in range(3):
            single = renderer(meshes[m], faces, cameras[n], vertex_colors=colors[m], lights=light)
            for key in ("image", "soft_mask", "face_idx", "normals"):
                assert torch.allclose(batched[key][m * 3 + n].float(), single[key][0].float(), atol=1e-6), key
    # The views differ, so the images do too (catches a broadcast that ignores the cameras).
    assert not torch.allclose(batched["soft_mask"][0], batched["soft_mask"][1])


def test_pairwise_and_mesh_objects():
    vertices, faces = icosphere(subdivisions=2)
    meshes = torch.stack([vertices, vertices * 0.5])
    cameras = look_at_cameras([0.0, 90.0], 0.0, DISTANCE, FOVY)
    renderer = DIBRenderer(16)
    pairwise = renderer(meshes, faces, cameras, pairwise=True)
    product = renderer(meshes, faces, cameras)
    assert pairwise["soft_mask"].shape == (2, 16, 16)
    assert torch.equal(pairwise["face_idx"], product["face_idx"][[0, 3]])
    as_objects = renderer([Mesh(vertices, faces), Mesh(vertices * 0.5, faces)], cameras=cameras)
    assert torch.equal(as_objects["face_idx"], product["face_idx"])
    unlit_white = product["image"][product["face_idx"] >= 0]
    assert torch.allclose(unlit_white, torch.ones_like(unlit_white))


def test_renderer_gradients_reach_vertices_and_colours():
    vertices, faces = icosphere(subdivisions=1)
    vertices.requires_grad_(True)
    colors = torch.full((vertices.shape[0], 3), 0.5, requires_grad=True)
    out = DIBRenderer(16)(vertices, faces, look_at_cameras(0.0, 0.0, DISTANCE, FOVY), vertex_colors=colors)
    (out["image"].sum() + out["soft_mask"].sum()).backward()
    assert vertices.grad.abs().sum() > 0 and colors.grad.abs().sum() > 0


@pytest.mark.parametrize("kwargs, match", [
    (dict(vertex_colors=torch.rand(5, 2)), "vertex_colors"),
    (dict(uvs=torch.rand(4, 2)), "together"),
    (dict(lights=torch.rand(4)), "SH lights"),
    (dict(lights="sun"), "lights"),
    (dict(pairwise=True, vertices=torch.rand(3, 12, 3)), "pairwise"),
])
def test_bad_renderer_arguments_raise_render_error(kwargs, match):
    vertices, faces = icosphere(subdivisions=0)
    arguments = dict(vertices=vertices, faces=faces, cameras=look_at_cameras([0.0, 90.0], 0.0, 3.0, 30.0))
    arguments.update(kwargs)
    with pytest.raises(RenderError, match=match):
        DIBRenderer(8)(**arguments)


@pytest.mark.parametrize("kwargs", [dict(image_size=0), dict(image_size=8, shading="phong"),
                                    dict(image_size=8, texture_mode="bicubic"),
                                    dict(image_size=8, background=(1.0, 1.0))])
def test_bad_renderer_settings_raise_render_error(kwargs):
    with pytest.raises(RenderError):
        DIBRenderer(**kwargs)


def test_default_preset_views_and_objects():
    preset = load_preset("default")
    train, heldout = preset["views"]["train"], preset["views"]["heldout"]
    assert len(train["azimuth"]) == 16 and len(heldout["azimuth"]) == 4
    assert all(-60.0 <= e <= 75.0 for e in train["elevation"])
    # Spread over the sphere: no two training directions closer than 20°.
    cameras = preset_cameras(preset, "train")
    directions = torch.nn.functional.normalize(cameras.translation, dim=-1)
    cosines = directions @ directions.T - 2 * torch.eye(16)
    assert cosines.max() < math.cos(math.radians(20.0))
    assert len(preset_cameras(preset, "heldout")) == 4
    renderer = preset_renderer(preset)
    assert (renderer.height, renderer.width) == tuple(preset["image_size"])
    assert isinstance(preset_lights(preset), DirectionalLight)


def test_turntable_preset_is_a_ring():
    preset = load_preset("turntable")
    views = preset["views"]["turntable"]
    assert views["elevation"] == [15.0] * 36
    np.testing.assert_allclose(np.diff(views["azimuth"]), 10.0)
    assert preset["image_size"] == [128, 128]


def write(tmp_path, text):
    path = tmp_path / "rig.yaml"
    path.write_text(text)
    return path


def test_preset_from_path_with_sh_lights_and_explicit_lists(tmp_path):
    path = write(tmp_path, "image_size: [24, 32]\nviews:\n  a: {azimuth: [0, 90], elevation: 5, distance: [2, 4]}\n"
                           "lights: {type: sh, coefficients: [1, 0, 0, 0, 0, 0, 0, 0, 0]}\n")
    preset = load_preset(path)
    assert preset["views"]["a"] == {"azimuth": [0.0, 90.0], "elevation": [5.0, 5.0], "distance": [2.0, 4.0]}
    assert preset_lights(preset).shape == (9,)
    cameras = preset_cameras(preset, "a")
    np.testing.assert_allclose(cameras.translation.norm(dim=-1).numpy(), [2.0, 4.0], rtol=1e-6)
    assert cameras.projection[0, 0] < cameras.projection[1, 0]  # wider than tall: ratio 32/24


@pytest.mark.parametrize("text, key", [
    ("views: {a: {azimuth: 0, elevation: 0}}\nfov: 30\n", "fov"),
    ("views: {a: {azimuth: 0, elevation: 0, zoom: 2}}\n", "views.a.zoom"),
    ("views: {a: {rule: ring, count: 4, min_elevation: 3}}\n", "views.a.min_elevation"),
    ("views: {a: {rule: spiral, count: 4}}\n", "views.a.rule"),
    ("views: {a: {rule: ring, count: 0}}\n", "views.a.count"),
    ("views: {a: {azimuth: [0, 1], elevation: [0, 1, 2]}}\n", "views.a"),
    ("views: {a: {azimuth: 0, elevation: 0}}\nlights: {type: lambertian, colour: [1, 1, 1]}\n", "lights.colour"),
    ("views: {a: {azimuth: 0, elevation: 0}}\nrenderer: {shading: phong}\n", "renderer.shading"),
    ("views: {a: {azimuth: 0, elevation: 0}}\nfovy: 200\n", "fovy"),
    ("views: {a: {azimuth: 0, elevation: 0}}\nimage_size: [64]\n", "image_size"),
    ("views: {}\n", "views"),
])
def test_bad_preset_raises_config_error_naming_file_and_key(tmp_path, text, key):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_preset(path)
    assert str(path) in str(error.value) and key in str(error.value)


def test_missing_preset_and_unknown_view_set(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_preset("no_such_preset")
    with pytest.raises(ConfigError, match="no view set named 'test'"):
        preset_cameras(load_preset("default"), "test")
