"""Tests of the item transforms and of collate_meshes (list and padded batching, DataLoader workers)."""
import functools

import numpy as np
import pytest
import torch
import trimesh
from torch.utils.data import DataLoader

from kaolin_pipeline.datasets.collate import INDEX_PADDING, VERTEX_PADDING, collate_meshes, item_to_mesh, mesh_to_item
from kaolin_pipeline.datasets.synthetic import SyntheticShapes, make_shape
from kaolin_pipeline.datasets.transforms import Compose, Normalize, SamplePoints, Voxelize, transform_params
from kaolin_pipeline.errors import ConfigError, PipelineError


def _box_item(extents=(1.0, 2.0, 4.0), offset=(0.0, 0.0, 0.0), path="box.obj"):
    tm = trimesh.creation.box(extents=extents)
    return {
        "vertices": torch.tensor(tm.vertices + np.asarray(offset), dtype=torch.float32),
        "faces": torch.tensor(tm.faces, dtype=torch.int64),
        "category": "box",
        "path": path,
    }


def test_normalize_centres_the_box_and_puts_the_farthest_vertex_at_one():
    item = _box_item(offset=(3.0, -1.0, 2.0))
    before = item["vertices"].clone()
    out = Normalize()(item)
    v = out["vertices"].numpy().astype(np.float64)
    np.testing.assert_allclose((v.max(0) + v.min(0)) / 2, 0.0, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1).max(), 1.0, rtol=1e-6)
    half_diagonal = np.linalg.norm([0.5, 1.0, 2.0])
    np.testing.assert_allclose(v.max(0), np.array([0.5, 1.0, 2.0]) / half_diagonal, rtol=1e-6)
    assert torch.equal(item["vertices"], before) and out["category"] == "box"  # input untouched, fields kept


def test_sample_points_lie_on_the_box_with_the_face_normals():
    half = np.array([0.5, 1.0, 2.0])
    out = SamplePoints(500, seed=1)(_box_item())
    points, normals = out["points"].numpy(), out["point_normals"].numpy()
    assert points.shape == (500, 3) and normals.shape == (500, 3)
    on_side = np.isclose(np.abs(points), half, atol=1e-5)
    assert on_side.any(axis=1).all() and (np.abs(points) <= half + 1e-5).all()
    # For a point on exactly one side, the normal is that side's outward axis.
    single = on_side.sum(axis=1) == 1
    expected = np.where(on_side, np.sign(points), 0.0)
    np.testing.assert_allclose(normals[single], expected[single], atol=1e-6)
    # Area-proportional: the two 2x4 sides (x = +-0.5) hold 16/28 of the area.
    share = np.isclose(np.abs(points[:, 0]), 0.5, atol=1e-5).mean()
    assert abs(share - 16 / 28) < 0.08


def test_seeded_sampling_depends_on_seed_and_path_only():
    a, b = SamplePoints(64, seed=3)(_box_item()), SamplePoints(64, seed=3)(_box_item())
    assert torch.equal(a["points"], b["points"])
    assert not torch.equal(a["points"], SamplePoints(64, seed=3)(_box_item(path="other.obj"))["points"])
    assert not torch.equal(a["points"], SamplePoints(64, seed=4)(_box_item())["points"])


def test_voxelize_solid_box_matches_hand_count():
    # Grid [-1, 1]^3 at R = 8: voxel centres -0.875 + 0.25 k; the unit box holds centres k = 2..5 on each axis.
    out = Voxelize(8, mode="solid", origin=(-1.0, -1.0, -1.0), size=2.0)(_box_item(extents=(1.0, 1.0, 1.0)))
    expected = torch.zeros(8, 8, 8, dtype=torch.bool)
    expected[2:6, 2:6, 2:6] = True
    assert torch.equal(out["voxels"].bool(), expected)
    torch.testing.assert_close(out["voxel_origin"].float(), torch.tensor([-1.0, -1.0, -1.0]))
    assert float(out["voxel_size"]) == pytest.approx(2.0)
    surface = Voxelize(8, mode="surface", origin=(-1.0, -1.0, -1.0), size=2.0)(_box_item(extents=(1.0, 1.0, 1.0)))
    assert not surface["voxels"][3:5, 3:5, 3:5].any() and surface["voxels"].any()


def test_params_repr_and_compose():
    pipeline = Compose([Normalize(), SamplePoints(100, seed=0), Voxelize(16)])
    assert pipeline.params() == {"name": "Compose", "transforms": [
        {"name": "Normalize"},
        {"name": "SamplePoints", "num_samples": 100, "seed": 0},
        {"name": "Voxelize", "resolution": 16, "mode": "solid", "origin": None, "size": None},
    ]}
    assert repr(pipeline) == "Compose([Normalize(), SamplePoints(num_samples=100, seed=0), Voxelize(resolution=16, mode='solid', origin=None, size=None)])"
    out = pipeline(_box_item())
    assert out["points"].shape == (100, 3) and out["voxels"].shape == (16, 16, 16)
    assert float(out["points"].norm(dim=-1).max()) <= 1.0 + 1e-5  # sampled after normalising
    with pytest.raises(ConfigError, match="params"):
        transform_params(lambda item: item)


@pytest.mark.parametrize("make, message", [
    (lambda: SamplePoints(0), "num_samples"),
    (lambda: SamplePoints(10, seed=1.5), "seed"),
    (lambda: Voxelize(8, mode="hollow"), "mode"),
    (lambda: Voxelize(-2), "resolution"),
    (lambda: Voxelize(8, origin=(0, 0)), "origin"),
])
def test_bad_transform_arguments_raise_config_errors(make, message):
    with pytest.raises(ConfigError, match=message):
        make()


def test_item_round_trip_through_mesh():
    mesh = make_shape("cone", torch.Generator().manual_seed(0))
    item = mesh_to_item(mesh, category="cone", path="p")
    back = item_to_mesh(item)
    for name in ("vertices", "faces", "uvs", "face_uvs_idx", "vertex_colors", "texture"):
        assert torch.equal(getattr(back, name), getattr(mesh, name))
    assert back.vertex_normals is None and "vertex_normals" not in item


def _items():
    a = _box_item(path="a")
    b = mesh_to_item(make_shape("torus", torch.Generator().manual_seed(1)), "torus", "b")
    return [SamplePoints(10, seed=0)(a), SamplePoints(10, seed=0)(b)]


def test_list_collate_keeps_meshes_as_lists_and_stacks_fixed_fields():
    a, b = _items()
    batch = collate_meshes([a, b])
    assert isinstance(batch["vertices"], list) and torch.equal(batch["vertices"][1], b["vertices"])
    assert isinstance(batch["faces"], list) and torch.equal(batch["faces"][0], a["faces"])
    assert batch["points"].shape == (2, 10, 3) and torch.equal(batch["points"][1], b["points"])
    assert batch["category"] == ["box", "torus"] and batch["path"] == ["a", "b"]
    assert batch["texture"] == [None, b["texture"]]  # present in one item only


def test_padded_collate_pads_with_documented_values_and_counts():
    a, b = _items()
    batch = collate_meshes([a, b], padded=True)
    va, vb = a["vertices"].shape[0], b["vertices"].shape[0]
    fa, fb = a["faces"].shape[0], b["faces"].shape[0]
    assert batch["vertices"].shape == (2, max(va, vb), 3) and batch["faces"].shape == (2, max(fa, fb), 3)
    assert batch["num_vertices"].tolist() == [va, vb] and batch["num_faces"].tolist() == [fa, fb]
    assert torch.equal(batch["vertices"][0, :va], a["vertices"]) and torch.equal(batch["faces"][1, :fb], b["faces"])
    assert (batch["vertices"][0, va:] == VERTEX_PADDING).all() and (batch["faces"][0, fa:] == INDEX_PADDING).all()
    assert "num_uvs" not in batch  # only one item has uvs: they stay a list
    both = collate_meshes([b, b], padded=True)
    assert both["uvs"].shape == (2, b["uvs"].shape[0], 2) and both["num_uvs"].tolist() == [b["uvs"].shape[0]] * 2
    with pytest.raises(PipelineError, match="empty"):
        collate_meshes([])


def test_dataloader_with_workers_and_padded_collate():
    ds = SyntheticShapes(4, families=["cube", "sphere"], seed=2, transform=Compose([Normalize(), SamplePoints(32, seed=0)]))
    loader = DataLoader(ds, batch_size=2, num_workers=2, collate_fn=functools.partial(collate_meshes, padded=True))
    batches = list(loader)
    assert len(batches) == 2
    for k, batch in enumerate(batches):
        assert batch["category"] == ["cube", "sphere"]
        assert batch["points"].shape == (2, 32, 3) and batch["texture"].shape == (2, 3, 64, 64)
        for j in range(2):
            expected = ds[2 * k + j]
            n = int(batch["num_vertices"][j])
            assert torch.equal(batch["vertices"][j, :n], expected["vertices"])
            assert torch.equal(batch["points"][j], expected["points"])
