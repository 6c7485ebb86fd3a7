"""DIBRenderer on scenes users meet: the near plane, perspective-correct interpolation, lights with
mesh lists, inputs on the wrong device, and the number of host synchronisations per call."""
import math
import warnings

import numpy as np
import pytest
import torch
import trimesh

from kaolin_pipeline.errors import RenderError
from kaolin_pipeline.io.render import camera_from_transform
from kaolin_pipeline.render.binning import grid_layout, host_ints, pixel_boxes
from kaolin_pipeline.render.camera import generate_perspective_projection, generate_rotate_translate_matrices
from kaolin_pipeline.render.host_reads import HostReadCounter
from kaolin_pipeline.render.lighting import SH_BAND0, DirectionalLight
from kaolin_pipeline.render.rasterize import prepare_vertices
from kaolin_pipeline.render.camera import Cameras, look_at_cameras
from kaolin_pipeline.render.renderer import DIBRenderer
from kaolin_pipeline.render.settings import RenderSettings
from kaolin_pipeline.structures import Mesh, PBRMaterial
from kaolin_pipeline.train.views import render_views

FOVY = 60.0


def camera_at(position, target, fovy=FOVY, near=1e-2, dtype=torch.float32):
    position = torch.tensor([position], dtype=dtype)
    rotation, translation = generate_rotate_translate_matrices(position, torch.tensor([target], dtype=dtype),
                                                               torch.tensor([[0.0, 1.0, 0.0]], dtype=dtype))
    return Cameras(rotation, translation, generate_perspective_projection(math.radians(fovy), dtype=dtype), near)


def ray_directions(size, fovy=FOVY):
    """(size, size, 3) camera-space directions through the pixel centres, with z = -1."""
    focal = 1 / math.tan(math.radians(fovy) / 2)
    centres = (2 * np.arange(size) + 1 - size) / size
    ys, xs = np.meshgrid(centres[::-1], centres, indexing="ij")
    return np.stack([xs / focal, ys / focal, -np.ones_like(xs)], -1)


# ---------------------------------------------------------------------------------------------
# Near plane
# ---------------------------------------------------------------------------------------------

def test_a_face_behind_the_camera_is_not_drawn_over_the_one_in_front():
    cameras = camera_at((0.0, 0.0, 0.0), (0.0, 0.0, -1.0))
    in_front = [[-1.0, -1.0, -2.0], [1.0, -1.0, -2.0], [0.0, 1.0, -2.0]]
    # Behind the camera (z = +2), wound so that its camera-space normal faces +z (it is not culled as a
    # back face); it projects mirrored through the centre, over the front face.
    behind = [[-1.0, -1.0, 2.0], [1.0, -1.0, 2.0], [0.0, 1.0, 2.0]]
    vertices = torch.tensor(in_front + behind)
    faces = torch.tensor([[0, 1, 2], [3, 4, 5]])
    _, image, normals = prepare_vertices(vertices[None], faces, cameras.projection,
                                         camera_rot=cameras.rotation, camera_trans=cameras.translation)
    assert normals[0, 1, 2] >= 0
    assert image[0, 1].amin(0).le(0.0).all() and image[0, 1].amax(0).ge(0.0).all()  # covers the centre too
    renderer = DIBRenderer(16, sigmainv=500.0, boxlen=0.2)
    both = renderer(vertices, faces, cameras)
    alone = renderer(vertices[:3], faces[:1], cameras)
    assert set(both["face_idx"].unique().tolist()) == {-1, 0}
    for key in ("face_idx", "image", "depth", "soft_mask"):
        assert torch.equal(both[key], alone[key]), key
    assert both["depth"][both["face_idx"] >= 0].sub(2.0).abs().max() < 1e-5


@pytest.mark.parametrize("far_corner_z", [1.0, 0.0, -0.005])
def test_a_face_across_the_near_plane_is_dropped(far_corner_z):
    cameras = camera_at((0.0, 0.0, 0.0), (0.0, 0.0, -1.0))
    quad = [[-1.0, -1.0, -2.0], [1.0, -1.0, -2.0], [1.0, 1.0, -2.0], [-1.0, 1.0, -2.0]]
    # A face from z = -1.5 across the near plane (to z = +1, 0 or -0.005, nearer than near = 0.01).
    across = [[-0.5, -0.5, -1.5], [0.5, -0.5, -1.5], [0.0, 0.3, far_corner_z]]
    vertices = torch.tensor(quad + across)
    faces = torch.tensor([[0, 1, 2], [0, 2, 3], [4, 5, 6]])
    renderer = DIBRenderer(12, sigmainv=500.0, boxlen=0.2)
    out = renderer(vertices, faces, cameras)
    alone = renderer(vertices[:4], faces[:2], cameras)
    for key in ("face_idx", "image", "depth", "soft_mask"):
        assert torch.equal(out[key], alone[key]), key
    # The same face moved just beyond the near plane is drawn, in front of the quad.
    vertices[6, 2] = -0.011
    moved = renderer(vertices, faces, cameras)
    assert (moved["face_idx"] == 2).sum() > 0


def test_cameras_carry_their_near_plane_and_check_it():
    cameras = look_at_cameras([0.0, 90.0], 0.0, 2.0, 40.0, near=0.5)
    assert cameras[1].near == 0.5 and cameras.to(dtype=torch.float64).near == 0.5
    assert look_at_cameras(0.0, 0.0, 2.0, 40.0).near == 1e-2
    for near in (0.0, -1.0, True, "0.1"):
        with pytest.raises(RenderError, match="near"):
            Cameras(torch.eye(3)[None], torch.zeros(1, 3), torch.ones(3, 1), near)
    # A far near plane clips a whole sphere away.
    sphere = trimesh.creation.icosphere(subdivisions=2, radius=0.5)
    vertices, faces = torch.tensor(sphere.vertices, dtype=torch.float32), torch.tensor(sphere.faces)
    out = DIBRenderer(16)(vertices, faces, look_at_cameras(0.0, 0.0, 2.0, 40.0, near=2.6))
    assert (out["face_idx"] == -1).all() and (out["soft_mask"] == 0).all()


def room(subdivisions=3):
    """A closed cube [-1, 1]^3 with faces wound inwards (seen from inside), walls tessellated."""
    box = trimesh.creation.box(extents=(2.0, 2.0, 2.0))
    vertices, faces = box.vertices, box.faces
    for _ in range(subdivisions):
        vertices, faces = trimesh.remesh.subdivide(vertices, faces)
    return torch.tensor(vertices, dtype=torch.float32), torch.tensor(faces[:, ::-1].copy())


def ray_box_depth(size, cameras):
    """Depth along the view axis of the first hit of each pixel's ray with the cube walls (from inside)."""
    directions = ray_directions(size)                                  # camera space, z = -1
    world = directions @ cameras.rotation[0].double().numpy()          # rows: world directions
    origin = cameras.translation[0].double().numpy()
    with np.errstate(divide="ignore"):
        exits = np.where(world > 0, (1 - origin) / world, (-1 - origin) / world)
    return np.where(np.isfinite(exits), exits, np.inf).min(axis=-1)   # the parameter t is the depth (z = -1)


@pytest.mark.parametrize("position, target", [((0.0, 0.0, 0.0), (0.0, 0.0, -1.0)),
                                              ((0.3, -0.2, 0.4), (0.8, 0.3, -0.6))])
def test_camera_inside_a_closed_cube_sees_the_walls_in_front_only(position, target):
    vertices, faces = room()
    cameras = camera_at(position, target)
    size = 24
    expected = ray_box_depth(size, cameras)
    renderer = DIBRenderer(size, perspective_correct=True)
    out = renderer(vertices, faces, cameras)
    assert (out["face_idx"] >= 0).all() and (out["soft_mask"] == 1).all()
    np.testing.assert_allclose(out["depth"][0].numpy(), expected, rtol=1e-4)
    # The recipes' path: views rendered for fit/reconstruct, cameras given as Kaolin's camera_transform.
    transform = torch.cat([cameras.rotation.transpose(1, 2),
                           -(cameras.translation[:, None] @ cameras.rotation.transpose(1, 2))], dim=1)
    views = render_views(RenderSettings(size), Mesh(vertices, faces), camera_from_transform(transform, cameras.projection))
    assert (views.masks == 1).all()
    # Only the walls the camera looks at: every face drawn lies wholly in front of the camera.
    camera_z = ((vertices - cameras.translation) @ cameras.rotation[0].T)[:, 2]
    drawn = out["face_idx"].unique()
    assert (camera_z[faces[drawn]] < -1e-2).all()


# ---------------------------------------------------------------------------------------------
# Perspective-correct interpolation
# ---------------------------------------------------------------------------------------------

def test_perspective_correct_colours_follow_a_plane_seen_at_a_grazing_angle():
    # A 4 x 4 floor at y = 0 seen from 0.4 above it: colours are (x, z) mapped to [0, 1].
    floor = trimesh.creation.box(extents=(4.0, 1e-3, 4.0))
    top = floor.vertices[:, 1] > 0
    keep = top[floor.faces].all(axis=1)
    vertices = torch.tensor(floor.vertices * [1, 0, 1], dtype=torch.float32)
    faces = torch.tensor(floor.faces[keep])
    colours = torch.stack([(vertices[:, 0] + 2) / 4, (vertices[:, 2] + 2) / 4, torch.zeros(len(vertices))], -1)
    cameras = camera_at((0.0, 0.4, 2.5), (0.0, 0.0, -2.0))
    size = 32
    correct = DIBRenderer(size, perspective_correct=True)(vertices, faces, cameras, vertex_colors=colours)
    screen = DIBRenderer(size)(vertices, faces, cameras, vertex_colors=colours)
    covered = (correct["face_idx"][0] >= 0).numpy()
    assert covered.mean() > 0.3
    world = ray_directions(size) @ cameras.rotation[0].double().numpy()
    origin = cameras.translation[0].double().numpy()
    t = -origin[1] / world[..., 1]                                    # the ray meets y = 0
    hit = origin + t[..., None] * world
    expected = np.stack([(hit[..., 0] + 2) / 4, (hit[..., 2] + 2) / 4], -1)
    got = correct["image"][0, ..., :2].numpy()
    np.testing.assert_allclose(got[covered], expected[covered], atol=1e-4)
    np.testing.assert_allclose(correct["depth"][0].numpy()[covered], t[covered], rtol=1e-4)
    assert np.abs(screen["image"][0, ..., :2].numpy()[covered] - expected[covered]).max() > 0.05


# ---------------------------------------------------------------------------------------------
# Lights with lists of meshes
# ---------------------------------------------------------------------------------------------

def two_meshes():
    sphere = trimesh.creation.icosphere(subdivisions=2, radius=0.7)
    vertices, faces = torch.tensor(sphere.vertices, dtype=torch.float32), torch.tensor(sphere.faces)
    stacked = torch.stack([vertices, vertices * torch.tensor([1.0, 0.6, 0.8]) + 0.1])
    return stacked, faces, [Mesh(stacked[0], faces), Mesh(stacked[1], faces)]


@pytest.mark.parametrize("kind, pairwise", [("camera", False), ("image", False), ("camera", True),
                                            ("direction-image", False), ("direction-camera", True)])
def test_lights_of_every_shape_work_for_mesh_lists(kind, pairwise):
    stacked, faces, meshes = two_meshes()
    cameras = look_at_cameras([0.0, 100.0] if pairwise else [0.0, 100.0, 200.0], 15.0, 3.0, 40.0)
    rows = len(cameras) if kind.endswith("camera") or pairwise else 2 * len(cameras)
    generator = torch.Generator().manual_seed(3)
    if kind.startswith("direction"):
        lights = DirectionalLight(torch.randn(rows, 3, generator=generator), ambient=0.2, diffuse=0.8)
    else:
        lights = torch.rand(rows, 9, generator=generator)
    renderer = DIBRenderer(16, shading="smooth")
    listed = renderer(meshes, cameras=cameras, lights=lights, pairwise=pairwise)
    batched = renderer(stacked, faces, cameras, lights=lights, pairwise=pairwise)
    assert listed["image"].shape[0] == (2 if pairwise else 2 * len(cameras))
    for key in ("image", "face_idx", "soft_mask"):
        assert torch.allclose(listed[key].float(), batched[key].float(), atol=1e-6), key
    lit = listed["image"][listed["face_idx"] >= 0]
    assert lit.std() > 0.01  # the lights vary over the images


def test_per_image_lights_of_meshes_with_different_topologies_hand_computed():
    sphere = trimesh.creation.icosphere(subdivisions=1, radius=0.6)
    cube = trimesh.creation.box(extents=(0.8, 0.8, 0.8))
    meshes = [Mesh(torch.tensor(m.vertices, dtype=torch.float32), torch.tensor(m.faces)) for m in (sphere, cube)]
    cameras = look_at_cameras([0.0, 45.0], 10.0, 3.0, 40.0)
    # Only the constant SH band: image b is lit with intensity c_b * SH_BAND0 everywhere.
    lights = torch.zeros(4, 9)
    lights[:, 0] = torch.tensor([1.0, 2.0, 3.0, 4.0])
    out = DIBRenderer(12)(meshes, cameras=cameras, lights=lights)
    for b in range(4):
        covered = out["face_idx"][b] >= 0
        assert covered.sum() > 10
        assert torch.allclose(out["image"][b][covered], torch.full((int(covered.sum()), 3), (b + 1) * SH_BAND0))
    with pytest.raises(RenderError, match="one row per camera"):
        DIBRenderer(12)(meshes, cameras=cameras, lights=torch.rand(3, 9))


# ---------------------------------------------------------------------------------------------
# Devices
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("moved, name", [("cameras", "cameras.rotation"), ("texture", "texture"),
                                         ("lights", "lights"), ("direction", "lights.direction"),
                                         ("vertex_colors", "vertex_colors"), ("vertices", "cameras.rotation")])
def test_an_input_on_another_device_is_named(moved, name):
    vertices = torch.tensor([[-1.0, -1.0, 0.0], [1.0, -1.0, 0.0], [1.0, 1.0, 0.0], [-1.0, 1.0, 0.0]])
    faces = torch.tensor([[0, 1, 2], [0, 2, 3]])
    arguments = dict(vertices=vertices, faces=faces, cameras=look_at_cameras(0.0, 0.0, 3.0, 40.0))
    meta = torch.device("meta")
    if moved == "cameras":
        arguments["cameras"] = arguments["cameras"].to(meta)
    elif moved == "texture":
        arguments.update(uvs=vertices[:, :2], face_uvs_idx=faces, texture=torch.rand(3, 4, 4, device=meta))
    elif moved == "lights":
        arguments["lights"] = torch.rand(9, device=meta)
    elif moved == "direction":
        arguments["lights"] = DirectionalLight(torch.ones(3, device=meta))
    elif moved == "vertex_colors":
        arguments["vertex_colors"] = torch.rand(4, 3, device=meta)
    else:
        arguments.update(vertices=vertices.to(meta), faces=faces.to(meta))
    with pytest.raises(RenderError, match=f"{name} is on"):
        DIBRenderer(8)(**arguments)


# ---------------------------------------------------------------------------------------------
# Host synchronisations
# ---------------------------------------------------------------------------------------------

def test_host_read_counter_sees_the_operations_that_wait_for_the_device():
    values = torch.arange(6)
    with HostReadCounter() as counter:
        values.nonzero()
        int(values[2])
        values[values > 2]
        host_ints(values)
        (values * 2 + 1).sum()
        values[torch.tensor([0, 3])]
    assert counter.by_op == {"nonzero": 1, "_local_scalar_dense": 1, "index": 1, "_to_copy": 1}


def count_forward_backward(subdivisions, size, max_pairs):
    sphere = trimesh.creation.icosphere(subdivisions=subdivisions, radius=0.8)
    vertices = torch.tensor(sphere.vertices, dtype=torch.float32, requires_grad=True)
    faces = torch.tensor(sphere.faces)
    uvs = torch.rand(len(sphere.vertices), 2, generator=torch.Generator().manual_seed(0))
    texture = torch.rand(3, 8, 8, requires_grad=True)
    cameras = look_at_cameras([0.0, 90.0, 200.0], 20.0, 3.0, 40.0)
    renderer = DIBRenderer(size, shading="smooth", max_pairs=max_pairs)
    with HostReadCounter() as counter:
        out = renderer(vertices, faces, cameras, uvs=uvs, face_uvs_idx=faces, texture=texture,
                       lights=torch.rand(3, 9))
        (out["image"].sum() + out["soft_mask"].sum()).backward()
    assert vertices.grad.abs().sum() > 0 and texture.grad.abs().sum() > 0
    _, image, _ = prepare_vertices(vertices.detach().expand(3, -1, -1), faces, cameras.projection,
                                   camera_rot=cameras.rotation, camera_trans=cameras.translation)
    chunks = len(grid_layout(pixel_boxes(image, size, size), size, size, max_pairs=max_pairs).chunks)
    return counter, chunks


def test_host_synchronisations_do_not_grow_with_chunks_mesh_or_image_size():
    reference, few = count_forward_backward(1, 16, 1 << 20)
    assert reference.by_op == {"_local_scalar_dense": 1, "_to_copy": 2, "nonzero": 2}, reference.by_op
    for subdivisions, size, max_pairs in [(1, 16, 16), (2, 32, 48), (3, 40, 1 << 20)]:
        counter, chunks = count_forward_backward(subdivisions, size, max_pairs)
        assert counter.by_op == reference.by_op, (subdivisions, size, max_pairs, counter.by_op)
        if max_pairs < 100:
            assert chunks > 5 * few  # the tiny max_pairs really cuts the work into many chunks


def _material_sphere(num_materials: int) -> Mesh:
    """A sphere whose faces cycle through ``num_materials`` materials, textured and plain alternately."""
    sphere = trimesh.creation.icosphere(subdivisions=2, radius=0.8)
    generator = torch.Generator().manual_seed(num_materials)
    faces = torch.tensor(sphere.faces)
    materials = [PBRMaterial(diffuse_texture=torch.rand(3, 4, 4, generator=generator)) if i % 2 else
                 PBRMaterial(diffuse_color=torch.rand(3, generator=generator)) for i in range(num_materials)]
    return Mesh(vertices=torch.tensor(sphere.vertices, dtype=torch.float32), faces=faces,
                uvs=torch.rand(len(sphere.vertices), 2, generator=generator), face_uvs_idx=faces,
                materials=materials, material_assignments=torch.arange(len(faces)) % num_materials)


@pytest.mark.parametrize("case, expected", [
    ("unlit", 5), ("directional light", 5), ("directional light, tensor", 5), ("SH light", 5),
    ("2 materials", 5), ("8 materials", 5), ("list of 3 meshes", 15)])
def test_host_reads_per_call_are_exactly_the_documented_count(case, expected):
    """5 per mesh whatever the lights and materials; a list of meshes is rendered mesh by mesh (5 each)."""
    meshes = [_material_sphere(int(case[0]))] if "materials" in case else \
        [_material_sphere(1) for _ in range(3 if "list" in case else 1)]
    lights = {"directional light": DirectionalLight(direction=(0.2, 0.3, 1.0)),
              "directional light, tensor": DirectionalLight(direction=torch.tensor([[0.2, 0.3, 1.0]] * 2)),
              "SH light": torch.rand(9)}.get(case)
    for mesh in meshes:
        mesh.vertices.requires_grad_(True)
    cameras = look_at_cameras([0.0, 90.0], 20.0, 3.0, 40.0)
    with HostReadCounter() as counter:
        out = DIBRenderer(24)(meshes if len(meshes) > 1 else meshes[0], cameras=cameras, lights=lights)
        (out["image"].sum() + out["soft_mask"].sum()).backward()
    assert all(mesh.vertices.grad.abs().sum() > 0 for mesh in meshes)
    assert counter.total == expected, counter.by_op


def test_zero_directional_light_is_refused_before_rendering():
    sphere = _material_sphere(1)
    with pytest.raises(RenderError, match="DirectionalLight.direction must be non-zero"):
        DIBRenderer(8)(sphere, cameras=look_at_cameras([0.0], 20.0, 3.0, 40.0),
                       lights=DirectionalLight(direction=(0.0, 0.0, 0.0)))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_renderer_matches_cpu_and_waits_for_the_device_a_fixed_number_of_times():
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=0.8)
    vertices, faces = torch.tensor(sphere.vertices, dtype=torch.float32), torch.tensor(sphere.faces)
    colors = torch.rand(len(vertices), 3, generator=torch.Generator().manual_seed(0))
    lights = torch.rand(3, 9, generator=torch.Generator().manual_seed(1))
    cameras = look_at_cameras([0.0, 90.0, 200.0], 20.0, 3.0, 40.0)
    expected = DIBRenderer(48, shading="smooth")(vertices, faces, cameras, vertex_colors=colors, lights=lights)
    inputs = [t.cuda() for t in (vertices, faces, colors, lights)]
    cuda_cameras = cameras.to("cuda")
    waits = []
    for max_pairs in (1 << 20, 64):
        renderer = DIBRenderer(48, shading="smooth", max_pairs=max_pairs).cuda()
        moving = inputs[0].clone().requires_grad_(True)
        torch.cuda.synchronize()
        # PyTorch's own sync debug mode warns at every operation that makes the host wait for the GPU.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            torch.cuda.set_sync_debug_mode("warn")
            try:
                out = renderer(moving, inputs[1], cuda_cameras, vertex_colors=inputs[2], lights=inputs[3])
                (out["image"].sum() + out["soft_mask"].sum()).backward()
            finally:
                torch.cuda.set_sync_debug_mode("default")
        waits.append(sum("synchroniz" in str(warning.message).lower() for warning in caught))
        assert moving.grad.abs().sum() > 0
        same = out["face_idx"].cpu() == expected["face_idx"]
        assert same.float().mean() > 0.999
        assert torch.allclose(out["image"].detach().cpu()[same], expected["image"][same], atol=1e-4)
        assert torch.allclose(out["soft_mask"].detach().cpu(), expected["soft_mask"], atol=1e-3)
    assert waits[0] == waits[1] and 0 < waits[0] <= 8, waits
