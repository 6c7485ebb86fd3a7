"""What makes ``fit``'s figures honest: the folded-face counter, supersampled targets, the
Timelapse from iteration 0 to the last, named configs."""
import torch
import trimesh

from kaolin_pipeline.render import RenderSettings, load_preset, look_at_cameras, preset_cameras, preset_lights
from kaolin_pipeline.render.camera import rotate_translate_points
from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.train.config import load_config
from kaolin_pipeline.train.evaluate import folded_faces
from kaolin_pipeline.train.fit import load_target_mesh
from kaolin_pipeline.ops.smoothing import smoothing_matrix
from kaolin_pipeline.train.views import render_views
from kaolin_pipeline.ops.mesh import uniform_laplacian


def _sheet(rows: int, cols: int, fold_at: int = None, gap: float = 0.05) -> Mesh:
    """A flat grid in the z = 0 plane (normals +z) of ``rows x cols`` quads over [0, cols] x [0, rows].

    With ``fold_at``, the columns past ``x = fold_at`` are folded back over the sheet, ``gap``
    above it (a hairpin): their faces then face -z.
    """
    xs, ys = torch.meshgrid(torch.arange(cols + 1.0), torch.arange(rows + 1.0), indexing="xy")
    vertices = torch.stack([xs, ys, torch.zeros_like(xs)], dim=-1).reshape(-1, 3)
    if fold_at is not None:
        past = vertices[:, 0] > fold_at
        vertices[past, 0] = 2 * fold_at - vertices[past, 0]
        vertices[past, 2] = gap
    faces = []
    for r in range(rows):
        for c in range(cols):
            a, b = r * (cols + 1) + c, r * (cols + 1) + c + 1
            d, e = a + cols + 1, b + cols + 1
            faces += [[a, b, e], [a, e, d]]
    return Mesh(vertices, torch.tensor(faces))


def test_a_sheet_folded_over_itself_counts_exactly_its_folded_faces():
    flat = _sheet(4, 8)
    folded = _sheet(4, 8, fold_at=5)
    # Columns 5..7 (3 columns x 4 rows x 2 triangles) lie over the sheet facing down; the rest lies flat.
    assert folded_faces(folded, flat) == 3 * 4 * 2
    assert folded_faces(flat, flat) == 0


def test_a_mesh_turned_inside_out_counts_every_face():
    box = trimesh.creation.box(extents=(1.0, 2.0, 0.5))
    mesh = Mesh(torch.tensor(box.vertices, dtype=torch.float32), torch.tensor(box.faces))
    inside_out = Mesh(mesh.vertices, mesh.faces.flip(-1))
    assert folded_faces(inside_out, mesh) == len(box.faces)


def test_a_convex_polytope_counts_zero_against_itself_and_its_sphere():
    hull = trimesh.convex.convex_hull(trimesh.creation.icosphere(1).vertices * [1.0, 0.6, 0.8])
    polytope = Mesh(torch.tensor(hull.vertices, dtype=torch.float32), torch.tensor(hull.faces))
    sphere = trimesh.creation.icosphere(4)
    assert folded_faces(polytope, polytope) == 0
    assert folded_faces(polytope, Mesh(torch.tensor(sphere.vertices, dtype=torch.float32),
                                       torch.tensor(sphere.faces))) == 0


def test_a_rounded_copy_of_a_sharp_rim_is_not_folded():
    """A cone's rim (side and base meet at more than 90°) rounded off by a dilation: correct
    orientation everywhere, though some rim faces point away from the nearest side's normal."""
    cone = trimesh.creation.cone(radius=0.6, height=0.8, sections=48)
    ball = trimesh.creation.icosphere(1).vertices * 0.04
    dilated = trimesh.convex.convex_hull((cone.vertices[:, None, :] + ball[None]).reshape(-1, 3))
    target = Mesh(torch.tensor(cone.vertices, dtype=torch.float32), torch.tensor(cone.faces))
    rounded = Mesh(torch.tensor(dilated.vertices, dtype=torch.float32), torch.tensor(dilated.faces))
    assert folded_faces(rounded, target, tolerance=0.0) > 0  # the nearest normal alone is fooled
    assert folded_faces(rounded, target) == 0


def test_a_vertex_dragged_across_its_neighbours_folds_the_faces_that_flip():
    """Dragging one vertex of a sphere sideways past its ring flips some faces of its fan (a crease)."""
    coarse = trimesh.creation.icosphere(2)
    vertices = torch.tensor(coarse.vertices, dtype=torch.float32)
    tangent = torch.nn.functional.normalize(torch.linalg.cross(vertices[0], torch.tensor([0.0, 0.0, 1.0])), dim=0)
    dragged = vertices.clone()
    dragged[0] = torch.nn.functional.normalize(vertices[0] + 0.6 * tangent, dim=0)  # about two edges away
    fine = trimesh.creation.icosphere(5)
    target = Mesh(torch.tensor(fine.vertices, dtype=torch.float32), torch.tensor(fine.faces))
    # Reference: faces whose trimesh normal points against the sphere's outward normal at their centre.
    moved = trimesh.Trimesh(dragged.numpy(), coarse.faces, process=False)
    reference = int(((moved.face_normals * moved.triangles_center).sum(axis=1) < 0).sum())
    assert 1 <= reference <= 6
    assert folded_faces(Mesh(dragged, torch.tensor(coarse.faces)), target) == reference
    assert folded_faces(Mesh(vertices, torch.tensor(coarse.faces)), target) == 0


def test_smoothing_matrix_keeps_translations_and_smooths_a_spike():
    sphere = trimesh.creation.icosphere(2)
    faces = torch.tensor(sphere.faces)
    laplacian = uniform_laplacian(len(sphere.vertices), faces)
    matrix = smoothing_matrix(laplacian, 10.0)
    assert torch.allclose(matrix.sum(dim=1), torch.ones(len(sphere.vertices)), atol=1e-4)
    spike = torch.zeros(len(sphere.vertices))
    spike[0] = 1.0
    spread = matrix @ spike
    # Solving (I - λL) x = spike by hand: x is the spike diffused, positive, peaked at the vertex.
    reference = torch.linalg.solve(torch.eye(len(spike), dtype=torch.float64) - 10.0 * laplacian.double(),
                                   spike.double())
    assert torch.allclose(spread.double(), reference, atol=1e-5)
    assert int(spread.argmax()) == 0 and spread.min() > 0 and spread[0] < 0.5
    assert torch.equal(smoothing_matrix(laplacian, 0.0), torch.eye(len(spike)))


def test_targets_are_the_hard_raster_supersampled_and_box_filtered():
    preset = load_preset("default")
    settings = RenderSettings.from_preset(preset).replace(image_size=16)
    renderer, cameras = settings.renderer(), preset_cameras(preset, "heldout", image_size=(16, 16))[[0, 1]]
    lights = preset_lights(preset)
    mesh = load_target_mesh("synthetic:cone", 0.7)
    views = render_views(settings, mesh, cameras, lights)
    # By hand: the hard raster at 4x the size, each 4x4 block averaged.
    fine = type(renderer)((64, 64), background=renderer.background.tolist(), shading=renderer.shading,
                          texture_mode=renderer.texture_mode, perspective_correct=True)
    dense = fine(mesh, cameras=cameras, lights=lights, soft_mask=False)
    blocks = dense["image"].reshape(2, 16, 4, 16, 4, 3).mean(dim=(2, 4))
    coverage = (dense["face_idx"] >= 0).float().reshape(2, 16, 4, 16, 4).mean(dim=(2, 4))
    assert torch.allclose(views.images, blocks.clamp(0, 1), atol=1e-5)
    assert torch.equal(views.masks, (coverage >= 0.5).float())
    # Anti-aliased: edge pixels take in-between values, which neither raster at 16x16 gives.
    partial = (coverage > 0) & (coverage < 1)
    assert partial.sum() > 20
    soft = renderer(mesh, cameras=cameras, lights=lights)
    assert not torch.allclose(views.images, soft["image"].clamp(0, 1), atol=1e-3)



def test_target_depth_inside_a_large_oblique_face_is_where_the_camera_ray_meets_it():
    """Two triangles make a 1.6-wide square tilted 60° from a camera 3 units away; the depth of every
    covered pixel centre equals the ray-plane intersection by hand (in screen space it would sit deeper
    in the middle of each triangle, and a fit matching it would sink there)."""
    square = torch.tensor([[-0.8, -0.8, 0.0], [0.8, -0.8, 0.0], [0.8, 0.8, 0.0], [-0.8, 0.8, 0.0]])
    tilt = torch.tensor(trimesh.transformations.rotation_matrix(1.047, [0, 1, 0])[:3, :3], dtype=torch.float32)
    mesh = Mesh(square @ tilt.T, torch.tensor([[0, 1, 2], [0, 2, 3]]))
    camera = look_at_cameras([0.0], [0.0], 3.0, 30.0)
    settings = RenderSettings(image_size=(48, 48), shading="smooth")  # perspective_correct False, as DIB-R's default
    views = render_views(settings, mesh, camera)
    corners = rotate_translate_points(mesh.vertices[None], camera.rotation, camera.translation)[0].double()
    normal = torch.linalg.cross(corners[1] - corners[0], corners[2] - corners[0])
    offset = normal @ corners[0]
    centres = (torch.arange(48, dtype=torch.float64) + 0.5) / 24 - 1
    y, x = torch.meshgrid(-centres, centres, indexing="ij")  # row 0 at the top
    projection = camera.projection[:, 0].double()
    rays = torch.stack([x / projection[0], y / projection[1], -torch.ones_like(x)], dim=-1)  # z = -1 at depth 1
    depth = offset / (rays @ normal)  # the ray's parameter is the depth along the view axis
    seen = views.depths[0] > 0
    assert int(seen.sum()) > 600
    torch.testing.assert_close(views.depths[0][seen].double(), depth[seen], atol=1e-4, rtol=0)


def test_named_kaolin_tutorial_config_keeps_the_tutorial_values():
    config = load_config("fit", "kaolin-tutorial")
    assert config["name"] == "kaolin-tutorial"
    assert config["optim"]["lr_vertices"] == 5e-4 and config["optim"]["lr_texture"] == 5e-2
    assert config["optim"]["smoothing"] == 0.0 and config["template"]["subdivisions"] == 3
    assert config["loss"]["image"] == 0.1 and config["loss"]["mask"] == 1.0
    assert load_config("fit")["name"] == "fit"


def test_timelapse_holds_iteration_zero_and_the_last_in_the_targets_units(tmp_path):
    from kaolin_pipeline.export.timelapse import TimelapseReader
    from kaolin_pipeline.io import save_mesh
    from kaolin_pipeline.train.fit import fit

    # A 2 x 4 x 4 box centred at (10, 0, 0): its farthest vertex is 3 from its centre, so one unit
    # of the normalised frame (target radius 0.7) is 3 / 0.7 of the file's units.
    box = trimesh.creation.box(extents=(2.0, 4.0, 4.0))
    box.apply_translation((10.0, 0.0, 0.0))
    save_mesh(tmp_path / "box.ply", Mesh(torch.tensor(box.vertices, dtype=torch.float32), torch.tensor(box.faces)))
    config = load_config("fit", overrides={
        "target": str(tmp_path / "box.ply"), "device": "cpu", "steps": 5, "views.image_size": 16,
        "views.target_scale": 0.7, "template.init": "sphere", "template.subdivisions": 1, "template.texture_resolution": 8,
        "log.timelapse_every": 3, "log.checkpoint_every": 0, "eval.num_points": 500})
    fit(config, tmp_path / "run", progress=False, finish=False)
    reader = TimelapseReader(tmp_path / "run" / "timelapse")
    assert reader.iterations("fit", "mesh", 0) == [0, 3, 5]
    assert reader.iterations("fit", "pointcloud", 0) == [0, 3, 5]
    start = reader.mesh("fit", 0, 0)
    sphere = torch.tensor(trimesh.creation.icosphere(1).vertices, dtype=torch.float32)
    template = torch.tensor([10.0, 0.0, 0.0]) + 3.0 / 0.7 * config["template"]["scale"] * sphere
    assert torch.allclose(start.vertices, template, atol=1e-4)
    # The initial grey texture (0.5), stored as an 8-bit image.
    assert start.texture is not None and torch.allclose(start.texture, torch.full_like(start.texture, 0.5), atol=1 / 255)
    last = reader.mesh("fit", 0, 5)
    assert (last.vertices - template).abs().max() > 1e-3


def test_heldout_views_are_far_from_every_training_view():
    preset = load_preset("default")
    train = torch.nn.functional.normalize(preset_cameras(preset, "train").translation, dim=-1)
    heldout = torch.nn.functional.normalize(preset_cameras(preset, "heldout").translation, dim=-1)
    angles = torch.rad2deg(torch.arccos((heldout @ train.T).clamp(-1, 1)))
    assert angles.min() > 20.0
    views = preset["views"]
    assert not set(views["heldout"]["azimuth"]) & set(views["train"]["azimuth"])
    assert not set(views["heldout"]["elevation"]) & set(views["train"]["elevation"])


def test_folded_faces_do_not_trust_the_targets_winding():
    """A closed target wound inward, an open sheet flipped, and a target wound every which way count
    the same as the same targets wound outward (issue 17: the horse scored 1246 inward, 4 outward)."""
    box = trimesh.creation.box(extents=(1.0, 2.0, 0.5))
    mesh = Mesh(torch.tensor(box.vertices, dtype=torch.float32), torch.tensor(box.faces))
    ball = trimesh.creation.icosphere(2)
    prediction = Mesh(torch.tensor(ball.vertices * [0.55, 1.05, 0.3], dtype=torch.float32), torch.tensor(ball.faces))
    expected = folded_faces(prediction, mesh)
    scrambled = mesh.faces.clone()
    scrambled[::3] = scrambled[::3].flip(-1)
    for twin in (mesh.faces.flip(-1), scrambled):
        assert folded_faces(prediction, Mesh(mesh.vertices, twin)) == expected
    assert expected < len(ball.faces) // 10
    flat, folded = _sheet(4, 8), _sheet(4, 8, fold_at=5)
    assert folded_faces(folded, Mesh(flat.vertices, flat.faces.flip(-1))) == folded_faces(folded, flat) == 24
