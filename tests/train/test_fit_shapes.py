"""The parts of ``fit`` that let it reproduce any asset: the visual hull, the sparse large-steps
solve, the UV atlas, the topology report, point-cloud and voxel-grid targets."""
import numpy as np
import pytest
import torch
import trimesh

from kaolin_pipeline.errors import LoadError
from kaolin_pipeline.io.pointcloud import save_pointcloud
from kaolin_pipeline.io.voxelgrid import save_voxelgrid
from kaolin_pipeline.ops.conversions import mesh_to_voxelgrid
from kaolin_pipeline.ops.large_steps import LargeSteps
from kaolin_pipeline.ops.topology import mesh_topology
from kaolin_pipeline.ops.uv_atlas import uv_atlas
from kaolin_pipeline.render import look_at_cameras
from kaolin_pipeline.render.antialias import render_antialiased
from kaolin_pipeline.render.visual_hull import seen_points, visual_hull
from kaolin_pipeline.structures import Mesh, PointCloud
from kaolin_pipeline.train.config import load_config
from kaolin_pipeline.train.fit import fit
from kaolin_pipeline.train.fit_targets import read_target_shape, source_metrics, splat_mesh


def _mesh(shape: trimesh.Trimesh) -> Mesh:
    return Mesh(torch.tensor(shape.vertices, dtype=torch.float32), torch.tensor(shape.faces))


def _cameras(count: int = 20):
    """``count`` cameras on a sphere of radius 3 around the origin (elevations up to ±80°)."""
    golden = np.pi * (3 - np.sqrt(5))
    k = np.arange(count)
    elevation = np.degrees(np.arcsin(np.clip(1 - 2 * (k + 0.5) / count, -0.985, 0.985)))
    return look_at_cameras(np.degrees(k * golden) % 360, elevation, 3.0, 30.0)


def _masks(mesh: Mesh, size: int = 64):
    """Silhouettes from the 20 :func:`_cameras`."""
    cameras = _cameras()
    alpha = render_antialiased(mesh, cameras, size, supersample=4)["alpha"]
    return (alpha >= 0.5).float(), cameras


def _winding_numbers(mesh: Mesh, points: np.ndarray) -> torch.Tensor:
    """Generalised winding numbers (sum of the faces' solid angles / 4π, Van Oosterom and Strackee) of (P, 3) points."""
    corners = mesh.vertices.double()[mesh.faces][None] - torch.tensor(points)[:, None, None]  # (P, F, 3, 3)
    a, b, c = corners.unbind(dim=2)
    la, lb, lc = a.norm(dim=-1), b.norm(dim=-1), c.norm(dim=-1)
    numerator = (a * torch.linalg.cross(b, c)).sum(-1)
    denominator = la * lb * lc + (a * b).sum(-1) * lc + (b * c).sum(-1) * la + (c * a).sum(-1) * lb
    return (2 * torch.atan2(numerator, denominator)).sum(dim=1) / (4 * np.pi)


def test_visual_hull_of_a_torus_has_genus_one_and_contains_it():
    torus = trimesh.creation.torus(major_radius=0.45, minor_radius=0.18, major_sections=48, minor_sections=24)
    torus.apply_transform(trimesh.transformations.rotation_matrix(0.4, [1, 0, 0]))
    masks, cameras = _masks(_mesh(torus))
    hull = visual_hull(masks, cameras, resolution=48, radius=0.8)
    topology = mesh_topology(hull.vertices, hull.faces)
    assert (topology.parts, topology.closed_parts, topology.genus) == (1, 1, 1)
    # Every point of the torus is inside the hull, up to a grid spacing (the hull is carved at 48³ points):
    # surface samples moved one spacing inwards have winding number 1 with respect to the hull.
    spacing = 1.6 / 47
    points, face_index = trimesh.sample.sample_surface(torus, 400, seed=0)
    inner = points - spacing * torus.face_normals[face_index]
    assert _winding_numbers(hull, inner).min() > 0.99
    # ... and the hull is not much bigger than the torus (its volume, against trimesh's).
    hull_mesh = trimesh.Trimesh(hull.vertices.numpy(), hull.faces.numpy())
    assert 0.95 * torus.volume < hull_mesh.volume < 1.6 * torus.volume  # marching cubes rounds off the rims


def test_visual_hull_keeps_separate_objects_apart():
    left = trimesh.creation.box(extents=(0.3, 0.3, 0.3))
    left.apply_translation((-0.4, 0, 0))
    right = trimesh.creation.icosphere(3, radius=0.2)
    right.apply_translation((0.4, 0.1, 0))
    masks, cameras = _masks(_mesh(trimesh.util.concatenate([left, right])))
    hull = visual_hull(masks, cameras, resolution=48, radius=0.8)
    topology = mesh_topology(hull.vertices, hull.faces)
    assert (topology.parts, topology.closed_parts, topology.genus) == (2, 2, 0)


def _cup() -> trimesh.Trimesh:
    """A closed cup: a block about 0.8 × 0.5 × 0.8 with a pocket about 0.5 wide and 0.35 deep open at the top
    (+y), the marching-cubes surface of a voxel grid of pitch 0.05."""
    matrix = np.zeros((18, 12, 18), dtype=bool)
    matrix[1:17, 1:11, 1:17] = True
    matrix[4:14, 4:11, 4:14] = False
    cup = trimesh.voxel.VoxelGrid(matrix).marching_cubes
    cup.apply_scale(0.05)
    cup.apply_translation(-cup.bounds.mean(axis=0))
    return cup


def test_depth_carves_a_pocket_that_silhouettes_cannot_and_keeps_the_solid():
    cup = _cup()
    assert cup.is_watertight
    mesh, cameras = _mesh(cup), _cameras()
    out = render_antialiased(mesh, cameras, 64, supersample=4)
    masks = (out["alpha"] >= 0.5).float()
    pocket = np.array([[0.0, 0.15, 0.0], [0.12, 0.1, -0.12], [-0.15, 0.2, 0.1]])  # empty: inside the pocket
    solid = np.array([[0.0, -0.2, 0.0], [0.33, 0.0, 0.33], [-0.33, 0.15, 0.0]])   # inside the walls and floor
    silhouettes_only = visual_hull(masks, cameras, resolution=48, radius=0.8)
    with_depth = visual_hull(masks, cameras, resolution=48, radius=0.8, depths=out["depth"])
    # Every silhouette of the cup is that of the full box: carving alone fills the pocket ...
    assert _winding_numbers(silhouettes_only, pocket).min() > 0.99
    # ... the views looking into it carve it with depth, and the walls and floor stay (the hull contains the cup).
    assert _winding_numbers(with_depth, pocket).abs().max() < 0.01
    assert _winding_numbers(with_depth, solid).min() > 0.99
    assert 0.95 * cup.volume < trimesh.Trimesh(with_depth.vertices.numpy(), with_depth.faces.numpy()).volume < 1.5 * cup.volume


def _square_ring(outer: float, inner: float, thickness: float) -> trimesh.Trimesh:
    """A flat square plate of half-side ``outer`` in the xz-plane with a square hole of half-side ``inner``
    (genus 1), ``thickness`` thick, built face by face (32 triangles)."""
    square = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], dtype=float)
    vertices = np.concatenate([np.insert(square * half, 1, y, axis=1)
                               for y in (thickness / 2, -thickness / 2) for half in (outer, inner)])
    top_outer, top_inner, bottom_outer, bottom_inner = (np.arange(4) + 4 * k for k in range(4))
    faces = []
    for a, b in zip(range(4), [1, 2, 3, 0]):
        for ring_a, ring_b in ((top_outer, top_inner), (bottom_inner, bottom_outer),
                               (bottom_outer, top_outer), (top_inner, bottom_inner)):
            faces += [[ring_a[a], ring_a[b], ring_b[b]], [ring_a[a], ring_b[b], ring_b[a]]]
    ring = trimesh.Trimesh(vertices, np.array(faces))
    trimesh.repair.fix_normals(ring)
    return ring


def test_seen_points_lie_on_the_sphere_that_cast_the_depths():
    sphere = trimesh.creation.icosphere(5, radius=0.5)
    cameras = _cameras()
    depths = render_antialiased(_mesh(sphere), cameras, 48, supersample=1)["depth"]
    points = seen_points(depths, cameras)
    assert points.shape == (int((depths > 0).sum()), 3)
    assert float((points.norm(dim=1) - 0.5).abs().max()) < 2e-3  # the flat faces of the icosphere sit inside by < 1e-3
    # Each camera sees the half of the sphere that faces it: its points are nearer to it than the centre is.
    first = seen_points(depths[:1], cameras[0])
    assert float(((first - cameras.translation[0]).norm(dim=1) < 3.0).float().mean()) == 1.0


def test_visual_hull_of_a_plate_thinner_than_the_cube_grid_keeps_it_whole_with_its_hole():
    # A 1 x 0.012 x 1 plate with a 0.4-wide square hole: a third of the spacing (0.034) of a 48³ cube grid.
    plate = _square_ring(outer=0.5, inner=0.2, thickness=0.012)
    assert plate.is_watertight and plate.euler_number == 0  # genus 1
    plate.apply_transform(trimesh.transformations.rotation_matrix(0.3, [0, 0, 1]))
    cameras = _cameras()
    out = render_antialiased(_mesh(plate), cameras, 96, supersample=4, perspective_correct=True)  # as fit's views
    hull = visual_hull((out["alpha"] >= 0.5).float(), cameras, resolution=48, radius=0.8, depths=out["depth"])
    topology = mesh_topology(hull.vertices, hull.faces)
    assert (topology.parts, topology.closed_parts, topology.genus) == (1, 1, 1)
    # It holds the plate's middle (points inside the plate) and stays thin: no point a hair above it is inside.
    middle = np.array([[0.35, 0.0, 0.35], [-0.35, 0.0, 0.0], [0.0, 0.0, -0.4]])
    tilt = trimesh.transformations.rotation_matrix(0.3, [0, 0, 1])[:3, :3]
    assert _winding_numbers(hull, middle @ tilt.T).min() > 0.99
    above = (middle + [0.0, 0.03, 0.0]) @ tilt.T
    assert _winding_numbers(hull, above).abs().max() < 0.01


def test_two_sided_mesh_shows_the_inside_of_an_open_shell_and_changes_nothing_else():
    hemisphere = trimesh.creation.icosphere(3, radius=0.5)
    keep = hemisphere.triangles_center[:, 2] < 0  # the back half: open towards a camera on +z
    shell = Mesh(torch.tensor(hemisphere.vertices, dtype=torch.float32), torch.tensor(hemisphere.faces[keep]),
                 vertex_colors=torch.rand(len(hemisphere.vertices), 3, generator=torch.Generator().manual_seed(0)))
    camera = look_at_cameras([0.0], [0.0], 3.0, 30.0)
    one, two = (render_antialiased(m, camera, 32, supersample=1) for m in (shell, shell.two_sided()))
    # From +z the camera looks into the bowl: its faces face away, so one-sided it is invisible and two-sided whole.
    assert int((one["face_idx"] >= 0).sum()) == 0
    covered = two["face_idx"] >= 0
    rim = 16 * 0.5 / (3.0 * np.tan(np.radians(15)))  # the rim's radius in pixels: 16 px span tan(15°) at distance 3
    assert 0.9 * np.pi * rim ** 2 < int(covered.sum()) < 1.1 * np.pi * rim ** 2
    # Every face seen is a twin (index >= F), and its normal points at the camera.
    assert bool((two["face_idx"][covered] >= shell.num_faces).all()) and bool((two["normals"][covered][:, 2] > 0).all())
    # From behind, the front faces are drawn exactly as one-sided rendering draws them.
    back = look_at_cameras([180.0], [0.0], 3.0, 30.0)
    a, b = (render_antialiased(m, back, 32, supersample=1) for m in (shell, shell.two_sided()))
    assert torch.equal(a["face_idx"], b["face_idx"]) and torch.allclose(a["image"], b["image"])
    doubled = shell.two_sided()
    assert torch.equal(doubled.faces[shell.num_faces:], shell.faces.flip(-1) + shell.num_vertices)


def test_large_steps_solves_the_normalised_laplacian_system_and_its_adjoint():
    shape = trimesh.creation.icosphere(2)
    faces = torch.tensor(shape.faces)
    weight = 7.0
    # Reference: the dense float64 matrix from trimesh's edge list.
    edges = shape.edges_unique
    adjacency = np.zeros((len(shape.vertices),) * 2)
    adjacency[edges[:, 0], edges[:, 1]] = adjacency[edges[:, 1], edges[:, 0]] = 1
    scale = 1 / np.sqrt(adjacency.sum(1))
    matrix = torch.tensor(np.eye(len(adjacency)) * (1 + weight) - weight * scale[:, None] * adjacency * scale[None])
    smooth = LargeSteps(len(shape.vertices), faces, weight)
    field = torch.randn(len(adjacency), 3, dtype=torch.float64, requires_grad=True)
    result = smooth(field)
    torch.testing.assert_close(result, torch.linalg.solve(matrix, field), rtol=1e-5, atol=1e-6)
    upstream = torch.randn_like(result)
    result.backward(upstream)
    torch.testing.assert_close(field.grad, torch.linalg.solve(matrix.T, upstream), rtol=1e-5, atol=1e-6)
    # A uniform translation of a closed regular region passes almost unchanged; weight 0 is the identity.
    assert LargeSteps(len(adjacency), faces, 0.0)(field) is field


def test_uv_atlas_gives_every_face_its_own_non_overlapping_triangle():
    torus = trimesh.creation.torus(major_radius=0.5, minor_radius=0.2, major_sections=24, minor_sections=12)
    uvs, face_uvs_idx = uv_atlas(torch.tensor(torus.vertices, dtype=torch.float32), torch.tensor(torus.faces), 256)
    assert face_uvs_idx.shape == (len(torus.faces), 3) and uvs.shape[1] == 2
    assert float(uvs.min()) >= 0 and float(uvs.max()) <= 1
    corners = uvs[face_uvs_idx].double()
    edge1, edge2 = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
    areas = 0.5 * (edge1[:, 0] * edge2[:, 1] - edge1[:, 1] * edge2[:, 0]).abs()
    assert float(areas.min()) > 0
    assert float(areas.sum()) < 1.0  # packed without overlap into the unit square
    # A torus (genus 1) cannot be unwrapped without a cut: some positions carry several UVs.
    assert uvs.shape[0] > len(torus.vertices)


def test_topology_counts_parts_boundary_and_genus():
    sheet = trimesh.creation.box(extents=(1, 1, 1))
    open_box = Mesh(torch.tensor(sheet.vertices, dtype=torch.float32), torch.tensor(sheet.faces[2:]))
    topology = mesh_topology(open_box.vertices, open_box.faces)
    assert (topology.parts, topology.closed_parts, topology.boundary_edges, topology.genus) == (1, 0, 4, None)
    torus = _mesh(trimesh.creation.torus(major_radius=1.0, minor_radius=0.3))
    ball = _mesh(trimesh.creation.icosphere(1))
    both = Mesh(torch.cat([torus.vertices, ball.vertices + 5]), torch.cat([torus.faces, ball.faces + len(torus.vertices)]))
    topology = mesh_topology(both.vertices, both.faces)
    assert (topology.parts, topology.closed_parts, topology.genus) == (2, 2, 1)
    soup = trimesh.Trimesh(*trimesh.remesh.subdivide(ball.vertices.numpy(), ball.faces.numpy()), process=False)
    unjoined = torch.tensor(soup.triangles.reshape(-1, 3), dtype=torch.float32) + torch.rand(len(soup.faces) * 3, 3) * 1e-3
    assert mesh_topology(unjoined, torch.arange(len(unjoined)).reshape(-1, 3)).soup
    assert not topology.soup


def test_splats_cover_every_point_in_its_colour():
    points = torch.tensor([[0.0, 0, 0], [0.1, 0, 0], [0, 0.1, 0]])
    colors = torch.tensor([[1.0, 0, 0], [0, 1, 0], [0, 0, 1]])
    splats = splat_mesh(PointCloud(points, colors=colors))
    assert splats.faces.shape == (24, 3) and splats.vertices.shape == (18, 3)
    centres = splats.vertices.reshape(3, 6, 3).mean(dim=1)
    torch.testing.assert_close(centres, points)
    torch.testing.assert_close(splats.vertex_colors.reshape(3, 6, 3), colors[:, None].expand(3, 6, 3))
    # Closed and wound outward: each octahedron has the volume of a radius-r octahedron, (4/3) r³.
    radius = float((splats.vertices[0] - points[0]).norm())
    volume = trimesh.Trimesh(splats.vertices.numpy(), splats.faces.numpy(), process=False).volume
    assert volume == pytest.approx(3 * 4 / 3 * radius ** 3, rel=1e-5)


def test_fit_refuses_in_words_a_file_that_holds_no_shape(tmp_path):
    path = tmp_path / "notes.ply"
    path.write_text("this is not a ply file\n")
    with pytest.raises(LoadError, match="fit needs a mesh, a point cloud or a voxel grid"):
        read_target_shape(path)


TINY = {"device": "cpu", "steps": 8, "views.image_size": 32, "views.sigmainv": 20000.0, "template.hull_resolution": 32,
        "template.texture_resolution": 16, "log.every": 4, "log.checkpoint_every": 0, "log.timelapse_every": 0,
        "eval.num_points": 2000}


@pytest.fixture(scope="module")
def capsule():
    shape = trimesh.creation.capsule(height=0.8, radius=0.35, count=[16, 16])
    return shape


def test_point_cloud_targets_fit_and_are_measured_against_their_points(tmp_path, capsule):
    points = torch.tensor(capsule.sample(6000, seed=1), dtype=torch.float32)
    colors = 0.5 + 0.4 * torch.sin(3 * points)
    save_pointcloud(tmp_path / "cloud.xyz", PointCloud(points))
    assert read_target_shape(tmp_path / "cloud.xyz").kind == "point cloud"
    save_pointcloud(tmp_path / "cloud.ply", PointCloud(points, colors=colors))
    config = load_config("fit", overrides={**TINY, "target": str(tmp_path / "cloud.ply"), "views.image_size": 64,
                                           "template.hull_resolution": 48})
    metrics = fit(config, tmp_path / "run", progress=False, finish=False)
    # 8 steps on 64-pixel views: a pixel is about 1.5% of the diagonal (bench_fit.py --real measures the bar, 0.9).
    assert metrics["f_score_2"] > 0.8 and metrics["mask_iou"] > 0.9, metrics
    assert "folded_faces" not in metrics


def test_voxel_grid_targets_fit_and_are_measured_by_3d_iou(tmp_path, capsule):
    grid = mesh_to_voxelgrid(torch.tensor(capsule.vertices, dtype=torch.float32), torch.tensor(capsule.faces), 24,
                             mode="solid")
    save_voxelgrid(tmp_path / "grid.npz", grid)
    assert read_target_shape(tmp_path / "grid.npz").kind == "voxel grid"
    save_voxelgrid(tmp_path / "grid.binvox", grid)
    config = load_config("fit", overrides={**TINY, "target": str(tmp_path / "grid.binvox"), "views.image_size": 64,
                                           "template.hull_resolution": 48})
    metrics = fit(config, tmp_path / "run", progress=False, finish=False)
    # Against the terraced surface of a 24³ grid, after 8 steps on 64-pixel views (the bench measures the bar).
    assert metrics["voxel_iou"] > 0.85 and metrics["f_score_2"] > 0.75, metrics


def test_source_metrics_of_the_exact_shape_are_perfect(tmp_path, capsule):
    grid = mesh_to_voxelgrid(torch.tensor(capsule.vertices, dtype=torch.float32), torch.tensor(capsule.faces), 24,
                             mode="solid")
    save_voxelgrid(tmp_path / "grid.npz", grid)
    shape = read_target_shape(tmp_path / "grid.npz")
    metrics = source_metrics(shape.display, shape, num_points=4000)
    assert metrics["voxel_iou"] > 0.97 and metrics["f_score_2"] > 0.99
    far = Mesh(shape.display.vertices + 1.0, shape.display.faces)
    assert source_metrics(far, shape, num_points=4000)["voxel_iou"] < 0.1
