"""Tests of the procedural shapes: determinism, closed outward meshes, UVs, textures, loading."""
import math

import numpy as np
import pytest
import torch
import trimesh
from torch.utils.data import DataLoader

from kaolin_pipeline.datasets.collate import collate_meshes
from kaolin_pipeline.datasets.synthetic import FAMILIES, SyntheticShapes, item_generator, make_shape, procedural_texture
from kaolin_pipeline.errors import ConfigError

IDENTITY = np.eye(3).tolist()


def _trimesh(mesh_or_item):
    get = (lambda k: mesh_or_item[k]) if isinstance(mesh_or_item, dict) else (lambda k: getattr(mesh_or_item, k))
    return trimesh.Trimesh(get("vertices").numpy(), get("faces").numpy(), process=False)


def _assert_same_item(a, b):
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], torch.Tensor):
            assert torch.equal(a[key], b[key]), key
        else:
            assert a[key] == b[key], key


def test_same_seed_and_index_give_identical_items_in_any_order():
    first = SyntheticShapes(12, seed=3)
    second = SyntheticShapes(12, seed=3)
    later = [second[i] for i in reversed(range(12))][::-1]
    for i in range(12):
        _assert_same_item(first[i], later[i])


def test_different_index_or_seed_gives_different_shapes():
    ds = SyntheticShapes(2 * len(FAMILIES), seed=0)
    same_family = ds[0], ds[len(FAMILIES)]
    assert same_family[0]["category"] == same_family[1]["category"]
    assert not torch.equal(same_family[0]["vertices"], same_family[1]["vertices"])
    other_seed = SyntheticShapes(1, seed=1)[0]
    assert not torch.equal(ds[0]["vertices"], other_seed["vertices"])
    assert not torch.equal(ds[0]["texture"], other_seed["texture"])


def test_categories_cycle_through_the_requested_families():
    ds = SyntheticShapes(5, families=["torus", "cone"])
    assert [ds[i]["category"] for i in range(5)] == ["torus", "cone", "torus", "cone", "torus"]
    assert ds[3]["path"] == "synthetic://cone/0/3"
    assert [SyntheticShapes(8)[i]["category"] for i in range(8)] == list(FAMILIES)


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_is_closed_outward_and_textured(family):
    for index in range(4):
        mesh = make_shape(family, item_generator(7, index))
        tm = _trimesh(mesh)
        assert tm.is_watertight and tm.is_winding_consistent
        assert tm.volume > 0  # outward normals: positive signed volume
        assert 100 <= mesh.num_faces <= 2500
        assert mesh.vertices.dtype == torch.float32 and mesh.faces.dtype == torch.int64
        assert float(mesh.vertices.norm(dim=-1).max()) <= 1.0 + 1e-5
        assert mesh.uvs.shape[1] == 2 and float(mesh.uvs.min()) >= 0 and float(mesh.uvs.max()) <= 1
        assert mesh.face_uvs_idx.shape == mesh.faces.shape
        assert int(mesh.face_uvs_idx.max()) < mesh.uvs.shape[0]
        # Texture is not mirrored anywhere: every face is counter-clockwise in UV space too.
        fu = mesh.uvs[mesh.face_uvs_idx].double()
        e1, e2 = fu[:, 1] - fu[:, 0], fu[:, 2] - fu[:, 0]
        assert bool((e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0] > 0).all())
        assert mesh.texture.shape == (3, 64, 64) and 0 <= float(mesh.texture.min()) <= float(mesh.texture.max()) <= 1
        assert mesh.vertex_colors.shape == mesh.vertices.shape
        assert 0 <= float(mesh.vertex_colors.min()) <= float(mesh.vertex_colors.max()) <= 1


def test_cylinder_and_cube_volumes_match_closed_forms():
    r, h, scale = 0.5, 1.2, 0.9
    cyl = _trimesh(make_shape("cylinder", radius=r, height=h, scale=scale, rotation=IDENTITY))
    sides = 32
    polygon_area = 0.5 * sides * r * r * math.sin(2 * math.pi / sides)
    shrink = scale / math.hypot(r, h / 2)  # the farthest vertex (rim) ends at distance `scale`
    assert cyl.volume == pytest.approx(polygon_area * h * shrink**3, rel=1e-5)

    extents = np.array([1.0, 1.4, 0.6])
    cube = _trimesh(make_shape("cube", extents=extents.tolist(), scale=1.0, rotation=IDENTITY))
    shrink = 1.0 / np.linalg.norm(extents / 2)
    assert cube.volume == pytest.approx(np.prod(extents) * shrink**3, rel=1e-5)
    np.testing.assert_allclose(cube.extents, extents * shrink, rtol=1e-5)


def test_sphere_and_torus_volumes_approach_the_smooth_shape():
    sphere = _trimesh(make_shape("sphere", radii=[1.0, 1.0, 1.0], scale=1.0, rotation=IDENTITY))
    assert sphere.volume == pytest.approx(4 / 3 * math.pi, rel=0.03)
    torus = _trimesh(make_shape("torus", major_radius=0.75, minor_radius=0.25, scale=1.0, rotation=IDENTITY))
    assert torus.volume == pytest.approx(2 * math.pi**2 * 0.75 * 0.25**2, rel=0.05)


def test_rotation_param_is_applied_and_other_draws_unchanged():
    quarter_turn = [[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    base = make_shape("capsule", item_generator(0, 1), rotation=IDENTITY)
    turned = make_shape("capsule", item_generator(0, 1), rotation=quarter_turn)
    expected = base.vertices @ torch.tensor(quarter_turn).T
    torch.testing.assert_close(turned.vertices, expected, atol=1e-6, rtol=0)
    assert torch.equal(base.texture, turned.texture)


def test_procedural_texture_checker_pixels():
    colors = [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    tex = procedural_texture(colors, "checker", tiles=2, size=4)
    red, blue = torch.tensor(colors[0]), torch.tensor(colors[1])
    assert torch.equal(tex[:, 0, 0], red) and torch.equal(tex[:, 0, 3], blue)
    assert torch.equal(tex[:, 3, 0], blue) and torch.equal(tex[:, 3, 3], red)
    stripes = procedural_texture(colors, "stripes", tiles=2, size=4)
    assert torch.equal(stripes[:, 1, 3], red) and torch.equal(stripes[:, 2, 0], blue)


def test_bad_arguments_raise_config_errors_naming_them():
    with pytest.raises(ConfigError, match="pyramid"):
        make_shape("pyramid")
    with pytest.raises(ConfigError, match="radiuss"):
        make_shape("cone", radiuss=1.0)
    with pytest.raises(ConfigError, match="families"):
        SyntheticShapes(3, families=["cube", "teapot"])
    with pytest.raises(ConfigError, match="num_items"):
        SyntheticShapes(-1)
    with pytest.raises(IndexError):
        SyntheticShapes(2)[2]


def test_dataloader_with_two_workers_matches_direct_indexing():
    ds = SyntheticShapes(6, seed=5)
    loader = DataLoader(ds, batch_size=3, num_workers=2, collate_fn=collate_meshes)
    batches = list(loader)
    assert [c for b in batches for c in b["category"]] == [ds[i]["category"] for i in range(6)]
    for b, batch in enumerate(batches):
        assert batch["texture"].shape == (3, 3, 64, 64)
        for j in range(3):
            assert torch.equal(batch["vertices"][j], ds[3 * b + j]["vertices"])
            assert torch.equal(batch["faces"][j], ds[3 * b + j]["faces"])
