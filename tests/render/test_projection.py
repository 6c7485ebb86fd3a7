"""Colours read off views (render/projection.py) against hand-made textures and one-hot renders."""
import pytest
import torch

from kaolin_pipeline.ops.icosphere import icosphere, sphere_uvs
from kaolin_pipeline.render import DIBRenderer, DirectionalLight, look_at_cameras
from kaolin_pipeline.render.projection import fill_unseen, projected_colors

CAMERAS = look_at_cameras([0.0, 60.0, 120.0, 180.0, 240.0, 300.0, 30.0, 210.0],
                          [10.0, -20.0, 30.0, 0.0, 45.0, -40.0, 70.0, -70.0], 3.0, 30.0)
LIGHT = DirectionalLight(direction=(0.3, 0.6, 1.0), ambient=0.4, diffuse=0.6)


def _sphere():
    vertices, faces = icosphere(3)
    return vertices * 0.7, faces, *sphere_uvs(vertices, faces)


def _render(renderer, vertices, faces, uvs, face_uvs_idx, cameras=CAMERAS):
    def render(texture, index):
        return renderer(vertices, faces, cameras[index], uvs=uvs, face_uvs_idx=face_uvs_idx, texture=texture,
                        lights=LIGHT, soft_mask=False)
    return render


def test_a_lit_two_colour_texture_comes_back_exactly_away_from_its_border():
    vertices, faces, uvs, face_uvs_idx = _sphere()
    texture = torch.zeros(3, 32, 32)
    texture[0, :, :16], texture[1, :, 16:], texture[2] = 0.9, 0.6, 0.3
    renderer = DIBRenderer(96, shading="smooth")
    render = _render(renderer, vertices, faces, uvs, face_uvs_idx)
    views = render(texture, torch.arange(len(CAMERAS)))
    masks = (views["face_idx"] >= 0).float()
    projected, weights = projected_colors(render, texture, views["image"], masks, views["depth"], chunk=3)
    seen = weights > 0
    away = seen.clone()
    away[:, 14:18] = False  # texels whose bilinear footprint straddles the colour border
    assert seen.float().mean() > 0.8
    # the Lambertian shading (0.4 to 1.0 here) is divided out: the albedo, not the image, comes back
    torch.testing.assert_close(projected[:, away], texture[:, away], atol=2e-5, rtol=0)
    assert bool((projected[:, ~seen] == 0).all())


def test_the_sums_equal_those_of_one_hot_renders():
    """Σ w s I and Σ w s² per texel, from the autograd of one render, equal the same sums built from
    one render per texel (the renderer is linear in the texture) on a 4x4 texture."""
    vertices, faces, uvs, face_uvs_idx = _sphere()
    renderer = DIBRenderer(24, shading="smooth")
    cameras = CAMERAS[[0, 3]]
    render = _render(renderer, vertices, faces, uvs, face_uvs_idx, cameras)
    images = torch.rand(2, 24, 24, 3, generator=torch.Generator().manual_seed(0))
    masks = torch.ones(2, 24, 24)
    projected, weights = projected_colors(render, torch.zeros(3, 4, 4), images, masks)
    index = torch.arange(2)
    white = render(torch.ones(3, 4, 4), index)
    shading = white["image"][..., 0]
    used = white["face_idx"] >= 0  # the sphere stays inside the image: the eroded mask is all ones there
    facing = white["normals"][..., 2].clamp(min=0) * used
    numerator, denominator = torch.zeros(3, 4, 4), torch.zeros(4, 4)
    for row in range(4):
        for col in range(4):
            basis = torch.zeros(3, 4, 4)
            basis[:, row, col] = 1.0
            footprint = render(basis, index)["image"][..., 0] / shading.clamp(min=1e-12)  # bilinear weight w
            numerator[:, row, col] = (footprint * shading * facing).unsqueeze(-1).mul(images).sum(dim=(0, 1, 2))
            denominator[row, col] = (footprint * shading ** 2 * facing).sum()
    torch.testing.assert_close(weights, denominator, atol=1e-4, rtol=1e-4)
    seen = denominator > 1e-6
    torch.testing.assert_close(projected[:, seen], (numerator / denominator)[:, seen], atol=1e-4, rtol=1e-4)


def test_depths_keep_an_occluder_that_only_the_images_hold_off_the_texture():
    """The images show a blue card in front of a red sphere; the mesh is the sphere alone. With the
    images' depths every texel the card hid is left unseen; without them it turns blue."""
    vertices, faces, uvs, face_uvs_idx = _sphere()
    renderer = DIBRenderer(64, shading="smooth")
    red = torch.zeros(3, 16, 16)
    red[0] = 1.0
    card_vertices = torch.tensor([[-0.3, -0.3, 1.2], [0.3, -0.3, 1.2], [0.3, 0.3, 1.2], [-0.3, 0.3, 1.2]])
    card_faces = torch.tensor([[0, 1, 2], [0, 2, 3]]) + vertices.shape[0]
    scene_faces = torch.cat([faces, card_faces])
    colors = torch.cat([torch.tensor([[1.0, 0.0, 0.0]]).expand(vertices.shape[0], 3),
                        torch.tensor([[0.0, 0.0, 1.0]]).expand(4, 3)])
    cameras = look_at_cameras([0.0, 90.0, 180.0, 270.0], [0.0, 0.0, 0.0, 0.0], 3.0, 30.0)
    views = renderer(torch.cat([vertices, card_vertices]), scene_faces, cameras, vertex_colors=colors,
                     lights=LIGHT, soft_mask=False)
    masks = (views["face_idx"] >= 0).float()
    render = _render(renderer, vertices, faces, uvs, face_uvs_idx, cameras)
    with_depth, _ = projected_colors(render, red, views["image"], masks, views["depth"])
    without, _ = projected_colors(render, red, views["image"], masks)
    assert float(without[2].max()) > 0.9  # the card painted onto the sphere
    assert float(with_depth[2].max()) < 1e-4
    assert float(with_depth[0].max()) == pytest.approx(1.0, abs=1e-4)


def test_vertex_colours_come_back_from_their_own_renders():
    vertices, faces, _, _ = _sphere()
    renderer = DIBRenderer(64, shading="smooth")
    colors = torch.tensor([0.2, 0.5, 0.8]).expand(vertices.shape[0], 3).clone()

    def render(values, index):
        return renderer(vertices, faces, CAMERAS[index], vertex_colors=values, lights=LIGHT, soft_mask=False)

    views = render(colors, torch.arange(len(CAMERAS)))
    projected, weights = projected_colors(render, colors, views["image"], (views["face_idx"] >= 0).float())
    assert weights.shape == (vertices.shape[0],) and bool((weights > 0).all())
    torch.testing.assert_close(projected, colors, atol=2e-5, rtol=0)


def test_fill_unseen_keeps_seen_texels_and_fills_holes_from_their_neighbours():
    texture = torch.zeros(3, 16, 16)
    texture[:] = torch.tensor([0.1, 0.4, 0.7]).view(3, 1, 1)
    weights = torch.ones(16, 16)
    weights[4:9, 3:12] = 0.0  # a hole
    texture[:, 4:9, 3:12] = 5.0  # garbage where unseen
    filled = fill_unseen(texture, weights)
    torch.testing.assert_close(filled, torch.tensor([0.1, 0.4, 0.7]).view(3, 1, 1).expand(3, 16, 16))
    # a left half red and a right half blue: a hole in the red half is filled red
    texture = torch.zeros(3, 16, 16)
    texture[0, :, :8], texture[2, :, 8:] = 1.0, 1.0
    weights = torch.ones(16, 16)
    weights[6:9, 1:4] = 0.0
    filled = fill_unseen(texture * (weights > 0), weights)
    assert float(filled[0, 7, 2]) > 0.95 and float(filled[2, 7, 2]) < 0.05
    assert torch.equal(filled[:, weights > 0], texture[:, weights > 0])
    nothing = torch.rand(3, 8, 8)
    assert torch.equal(fill_unseen(nothing, torch.zeros(8, 8)), nothing)
