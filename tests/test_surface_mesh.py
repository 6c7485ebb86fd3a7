"""SurfaceMesh (kaolin_pipeline.ops.surface_mesh): LIST batching, cat, flatten, transform, printing, checks.

References are built by hand: explicit lists, ``torch.stack`` / ``torch.cat`` of hand-made tensors, and
transforms applied with NumPy in float64.
"""
import copy

import numpy as np
import pytest
import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops.surface_mesh import SurfaceMesh

B = SurfaceMesh.Batching


def _triangle():
    vertices = torch.tensor([[0.0, 0, 0], [1, 0, 0], [0, 1, 0]])
    return vertices, torch.tensor([[0, 1, 2]])


def _square():
    vertices = torch.tensor([[0.0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]])
    return vertices, torch.tensor([[0, 1, 2], [0, 2, 3]])


def test_list_constructor_and_round_trips_through_fixed_and_none():
    (v0, f0), (v1, f1) = _triangle(), _square()
    mesh = SurfaceMesh([v0, v1], [f0, f1], vertex_colors=[torch.ones(3, 3), torch.zeros(4, 3)])
    assert mesh.batching == B.LIST and len(mesh) == 2
    # face_vertices per mesh: vertices gathered at each face's corners, by hand
    assert torch.equal(mesh.face_vertices[0], torch.stack([v0[0], v0[1], v0[2]])[None])
    assert torch.equal(mesh.face_vertices[1][1], torch.stack([v1[0], v1[2], v1[3]]))
    # normals of both (z-up) faces, per corner
    assert torch.equal(mesh.face_normals[1], torch.tensor([0.0, 0, 1]).expand(2, 3, 3))
    with pytest.raises(ValueError, match="FIXED"):  # different faces cannot share one FIXED tensor
        mesh.set_batching(B.FIXED)

    same = SurfaceMesh([v1, 2 * v1], [f1, f1])
    same.set_batching(B.FIXED)
    assert torch.equal(same.vertices, torch.stack([v1, 2 * v1])) and torch.equal(same.faces, f1)
    same.batching = B.LIST  # the attribute setter converts too
    assert isinstance(same.vertices, list) and torch.equal(same.vertices[1], 2 * v1)
    assert isinstance(same.faces, list) and all(torch.equal(f, f1) for f in same.faces)
    with pytest.raises(ValueError, match="2 meshes"):
        same.set_batching(B.NONE)
    single = SurfaceMesh([v0], [f0], materials=[["red"]])
    single.set_batching(B.NONE)
    assert torch.equal(single.vertices, v0) and single.materials == ["red"]
    single.set_batching(B.FIXED)
    assert single.vertices.shape == (1, 3, 3) and single.faces.shape == (1, 3) and single.materials == [["red"]]
    with pytest.raises(ValueError, match="batching=1022"):
        single.set_batching(1022)


def test_set_batching_skip_errors_drops_what_cannot_be_stacked():
    v, f = _square()
    mesh = SurfaceMesh([v, v], [f, f], normals=[torch.ones(2, 3), torch.ones(5, 3)])
    with pytest.raises(ValueError, match="normals"):
        copy.copy(mesh).set_batching(B.FIXED)
    mesh.set_batching(B.FIXED, skip_errors=True)
    assert mesh.normals is None and mesh.vertices.shape == (2, 4, 3)


def test_cat_fixed_is_torch_stack_and_list_keeps_each_mesh():
    v, f = _square()
    uvs_a, uvs_b = torch.rand(4, 2), torch.rand(4, 2)
    a = SurfaceMesh(v, f, uvs=uvs_a, face_uvs_idx=f)
    b = SurfaceMesh(v + 1, f, uvs=uvs_b, face_uvs_idx=f).to_batched()
    fixed = SurfaceMesh.cat([a, b])
    assert fixed.batching == B.FIXED
    assert torch.equal(fixed.vertices, torch.stack([v, v + 1])) and torch.equal(fixed.faces, f)
    assert torch.equal(fixed.uvs, torch.stack([uvs_a, uvs_b]))
    assert "face_uvs" not in fixed.get_attributes()  # left to be computed from the stacked uvs/index
    assert torch.equal(fixed.face_uvs[1], uvs_b[f])

    t, tf = _triangle()
    listed = SurfaceMesh.cat([a, SurfaceMesh(t, tf)], fixed_topology=False)
    assert listed.batching == B.LIST and len(listed) == 2
    assert [x.shape for x in listed.vertices] == [(4, 3), (3, 3)]
    assert listed.uvs is None  # the triangle has none, so it is not kept
    with pytest.raises(ValueError):
        SurfaceMesh.cat([a, SurfaceMesh(t, tf)], fixed_topology=True)


def test_cat_fixed_replaces_normals_of_different_lengths_by_face_normals():
    v, f = _square()
    up, down = torch.tensor([[0.0, 0, 1]]), torch.tensor([[0.0, 0, -1], [1, 0, 0]])
    a = SurfaceMesh(v, f, normals=up, face_normals_idx=torch.zeros(2, 3, dtype=torch.long))
    b = SurfaceMesh(v, f, normals=down, face_normals_idx=torch.tensor([[0, 0, 0], [1, 1, 1]]))
    mesh = SurfaceMesh.cat([a, b])
    assert mesh.normals is None and mesh.face_normals_idx is None
    expected = torch.stack([up.expand(2, 3, 3), torch.stack([down[0].expand(3, 3), down[1].expand(3, 3)])])
    assert torch.equal(mesh.face_normals, expected)


def test_flatten_offsets_indices_into_concatenated_values():
    (v0, f0), (v1, f1) = _triangle(), _square()
    a = SurfaceMesh(v0, f0, uvs=torch.rand(3, 2), face_uvs_idx=f0, material_assignments=torch.tensor([0]),
                    materials=["m0"])
    b = SurfaceMesh(v1, f1, uvs=torch.rand(4, 2), face_uvs_idx=f1, material_assignments=torch.tensor([0, 1]),
                    materials=["m1", "m2"])
    flat = SurfaceMesh.flatten([a, b])
    assert flat.batching == B.NONE
    assert torch.equal(flat.vertices, torch.cat([v0, v1]))
    assert torch.equal(flat.faces, torch.cat([f0, f1 + 3]))
    assert torch.equal(flat.face_uvs_idx, torch.cat([f0, f1 + 3]))
    assert torch.equal(flat.material_assignments, torch.tensor([0, 1, 2])) and flat.materials == ["m0", "m1", "m2"]


def test_transform_is_stored_and_applied_by_as_transformed():
    v, f = _square()
    angle = 0.3
    matrix = np.array([[np.cos(angle), -np.sin(angle), 0, 1], [np.sin(angle), np.cos(angle), 0, 2],
                       [0, 0, 2, 3], [0, 0, 0, 1]])
    normals = torch.tensor([[1.0, 0, 0], [0, 0, 1]])
    mesh = SurfaceMesh(v, f, transform=torch.tensor(matrix, dtype=torch.float32), normals=normals,
                       face_normals_idx=torch.tensor([[0, 0, 0], [1, 1, 1]]))
    assert torch.equal(mesh.vertices, v)  # stored, not applied
    world = mesh.as_transformed()
    assert not world.has_attribute("transform")
    homogeneous = np.c_[v.double().numpy(), np.ones(4)] @ matrix.T
    assert np.allclose(world.vertices.numpy(), homogeneous[:, :3], atol=1e-6)
    inverse_transpose = np.linalg.inv(matrix[:3, :3]).T
    expected = (inverse_transpose @ normals.double().numpy().T).T
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.allclose(world.normals.numpy(), expected, atol=1e-6)
    assert np.allclose(world.face_vertices.numpy(), homogeneous[:, :3][f.numpy()], atol=1e-6)  # recomputed
    with pytest.raises(ValueError, match="transform"):
        SurfaceMesh(v, f, transform=torch.eye(3))


def test_checks_printing_and_attribute_queries():
    v, f = _square()
    with pytest.raises(ValueError, match="face_uvs_idx"):
        SurfaceMesh(v, f, uvs=torch.rand(4, 2), face_uvs_idx=torch.zeros(3, 3, dtype=torch.long))
    loose = SurfaceMesh(v, f, face_uvs_idx=torch.zeros(3, 3, dtype=torch.long), strict_checks=False)
    assert not loose.check_sanity()

    mesh = SurfaceMesh(v, f, vertex_features=torch.arange(8.0).reshape(4, 2))
    text = mesh.to_string(print_stats=True)
    assert "vertex_features: [4, 2] (torch.float32)[cpu] - [min 0.0000, max 7.0000, mean 3.5000]" in text
    assert "face_vertices: if possible, computed on access from: (faces, vertices)" in text
    assert str(mesh) == mesh.to_string()
    assert mesh.describe_attribute("uvs") == "None"
    assert set(mesh.as_dict(only_tensors=True)) == {"vertices", "faces", "vertex_features"}
    assert mesh.probably_can_compute_attribute("face_features") and not mesh.probably_can_compute_attribute("face_uvs")
    # face_features (F, 3, C) gathered at the corners; not cached when asked not to
    assert torch.equal(mesh.get_or_compute_attribute("face_features", should_cache=False),
                       mesh.vertex_features[f])
    assert not mesh.has_attribute("face_features")
    assert set(SurfaceMesh.computable_attribute_requirements()["face_normals"][0]) == {"normals", "face_normals_idx"}
    assert "transform" in SurfaceMesh.supported_tensor_attributes()
    info = SurfaceMesh.attribute_info_string(B.LIST)
    assert "vertices: [torch.FloatTensor] of shapes ['V_i', 3]" in info
    with pytest.raises(AttributeError):
        mesh.get_attribute("abracadabra")
