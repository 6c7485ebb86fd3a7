"""Vertices split along creases: a CAD part keeps its hard edges under smooth shading."""
import torch
import trimesh

from kaolin_pipeline.ops.creases import corner_groups, split_creases
from kaolin_pipeline.ops.mesh import vertex_normals
from kaolin_pipeline.render import DIBRenderer, look_at_cameras
from kaolin_pipeline.render.lighting import DirectionalLight
from kaolin_pipeline.structures import Mesh


def _mesh(shape: trimesh.Trimesh) -> Mesh:
    return Mesh(torch.tensor(shape.vertices, dtype=torch.float32), torch.tensor(shape.faces))


def test_a_box_splits_into_one_vertex_per_corner_and_side_with_the_side_normal():
    box = trimesh.creation.box(extents=(1.0, 0.6, 0.8))
    split = split_creases(_mesh(box))
    assert split.num_vertices == 24 and split.num_faces == 12
    # Every corner's vertex normal is its face's normal (trimesh's), as flat shading would give it.
    normals = vertex_normals(split.vertices.unsqueeze(0), split.faces)[0][split.faces]  # (F, 3, 3)
    expected = torch.tensor(box.face_normals, dtype=torch.float32).unsqueeze(1).expand(-1, 3, -1)
    assert torch.allclose(normals, expected, atol=1e-6)
    assert torch.equal(split.vertices[split.faces], _mesh(box).vertices[_mesh(box).faces])  # same triangles


def test_smooth_surfaces_and_a_180_degree_threshold_keep_every_vertex():
    sphere = _mesh(trimesh.creation.icosphere(3))
    assert split_creases(sphere).num_vertices == sphere.num_vertices  # neighbours meet at about 10 degrees
    box = _mesh(trimesh.creation.box())
    groups = corner_groups(box.vertices, box.faces, angle=180.0)
    assert int(groups.unique().numel()) == 8
    assert int(corner_groups(box.vertices, box.faces, angle=0.0).unique().numel()) == 24  # coplanar pairs only


def test_a_split_box_shaded_smoothly_looks_like_the_box_shaded_flat():
    box = _mesh(trimesh.creation.box(extents=(0.9, 0.7, 0.8)))
    cameras = look_at_cameras([30.0, 200.0], [25.0, -40.0], 3.0, 30.0)
    lights = DirectionalLight(torch.tensor([0.3, 0.6, 1.0]), 0.4, 0.6)
    flat = DIBRenderer(48, shading="flat")(box, cameras=cameras, lights=lights, soft_mask=False)["image"]
    smooth = DIBRenderer(48, shading="smooth")
    bent = smooth(box, cameras=cameras, lights=lights, soft_mask=False)["image"]
    kept = smooth(split_creases(box), cameras=cameras, lights=lights, soft_mask=False)["image"]
    assert (bent - flat).abs().max() > 0.05
    assert torch.allclose(kept, flat, atol=1e-5)


def test_a_files_own_normals_decide_where_it_splits():
    box = _mesh(trimesh.creation.box())
    # A file that gives every vertex one normal (an OBJ with vn indexed like v) is smooth everywhere.
    shared = Mesh(box.vertices, box.faces, normals=torch.nn.functional.normalize(box.vertices, dim=-1),
                  face_normals_idx=box.faces.clone())
    assert split_creases(shared).num_vertices == 8
    # One normal per face (faceted) splits every corner apart from its neighbour faces' corners.
    faceted = Mesh(box.vertices, box.faces, normals=torch.zeros(12, 3),
                   face_normals_idx=torch.arange(12).unsqueeze(1).expand(-1, 3).contiguous())
    assert split_creases(faceted).num_vertices == 36
