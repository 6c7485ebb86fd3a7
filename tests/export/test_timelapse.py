"""Kaolin Timelapse layout, time samples, append structure and read-back."""
import types

import pytest
import torch
from pxr import Sdf, Usd, UsdGeom

from kaolin_pipeline.io import usd
from kaolin_pipeline.structures import VoxelGrid
from kaolin_pipeline.errors import LoadError, SaveError
from kaolin_pipeline.export.timelapse import Timelapse, TimelapseReader
from usd_validation import validation_errors

ITERATIONS = (0, 10, 20)
FACES = torch.tensor([[0, 1, 2], [0, 2, 3], [0, 3, 1], [1, 3, 2]])


def vertices_at(iteration: int, item: int) -> torch.Tensor:
    base = torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    return base * (1 + item) + 0.01 * iteration


def occupancy_at(iteration: int) -> torch.Tensor:
    return torch.rand(4, 4, 4, generator=torch.Generator().manual_seed(iteration)) > 0.5


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory):
    """A log written like a training loop: two meshes (one textured), clouds of both kinds, a voxel grid."""
    root = tmp_path_factory.mktemp("timelapse")
    timelapse = Timelapse(root)
    uvs = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    for it in ITERATIONS:
        texture = torch.full((3, 2, 2), it / 255.0)
        material = types.SimpleNamespace(diffuse_texture=texture)  # a Kaolin PBRMaterial-like object
        timelapse.add_mesh_batch(iteration=it, category="pred", vertices_list=[vertices_at(it, 0), vertices_at(it, 1)],
                                 faces_list=[FACES, FACES], uvs_list=[uvs, uvs], face_uvs_idx_list=[FACES, FACES],
                                 materials_list=[material, None])
        cloud = vertices_at(it, 0)
        timelapse.add_pointcloud_batch(iteration=it, category="pred", pointcloud_list=[cloud],
                                       colors=[torch.full((4, 3), 0.5)])
        timelapse.add_pointcloud_batch(iteration=it, category="points/geom", pointcloud_list=[cloud],
                                       points_type="usd_geom_points")
        timelapse.add_voxelgrid_batch(iteration=it, category="pred", voxelgrid_list=[occupancy_at(it)])
    return root


def test_mesh_files_follow_kaolin_layout(log_dir):
    for item in (0, 1):
        path = log_dir / "pred" / f"mesh_{item}.usd"
        stage = Usd.Stage.Open(str(path))
        prim = stage.GetDefaultPrim()
        assert prim.GetPath() == Sdf.Path(f"/mesh_{item}") and prim.GetTypeName() == "Mesh"
        assert stage.GetEndTimeCode() == ITERATIONS[-1] and stage.GetStartTimeCode() == 0
        assert UsdGeom.Mesh(prim).GetPointsAttr().GetTimeSamples() == list(ITERATIONS)
        for it in ITERATIONS:
            mesh = usd.import_mesh(path, time=it)
            assert torch.allclose(mesh.vertices, vertices_at(it, item), atol=1e-6)
            assert torch.equal(mesh.faces, FACES)
    stage = Usd.Stage.Open(str(log_dir / "pred" / "mesh_0.usd"))
    prim = stage.GetPrimAtPath("/mesh_0")
    variants = prim.GetVariantSets().GetVariantSet("shadingVariant")
    assert variants.GetVariantNames() == ["0"] and variants.GetVariantSelection() == "0"
    assert [p.name for p in sorted((log_dir / "pred" / "textures").iterdir())] == [
        f"mesh_0_0_{it}_diffuse.png" for it in sorted(ITERATIONS, key=str)]


def test_textures_follow_iterations(log_dir):
    for it in ITERATIONS:
        texture = usd.import_mesh(log_dir / "pred" / "mesh_0.usd", time=it).texture
        assert torch.allclose(texture, torch.full((3, 2, 2), it / 255.0), atol=1e-6)
    assert usd.import_mesh(log_dir / "pred" / "mesh_1.usd", time=10).texture is None


def test_topology_is_written_once_and_each_iteration_in_its_own_clip(log_dir):
    path = log_dir / "pred" / "mesh_0.usd"
    root = Sdf.Layer.OpenAsAnonymous(str(path))
    assert root.GetAttributeAtPath("/mesh_0.faceVertexIndices").default is not None
    assert root.GetNumTimeSamplesForPath("/mesh_0.faceVertexIndices") == 0
    assert root.GetNumTimeSamplesForPath("/mesh_0.points") == 0  # per-iteration data stays out of the root
    clips = sorted((log_dir / "pred" / "clips" / "mesh_0").glob("*.usdc"))
    assert len(clips) == len(ITERATIONS)
    for clip, it in zip(clips, ITERATIONS):
        layer = Sdf.Layer.OpenAsAnonymous(str(clip))
        assert layer.ListTimeSamplesForPath("/mesh_0.points") == [it]
        assert layer.GetAttributeAtPath("/mesh_0.faceVertexIndices") is None


def test_pointcloud_and_voxelgrid_files(log_dir):
    stage = Usd.Stage.Open(str(log_dir / "pred" / "pointcloud_0.usd"))
    assert stage.GetDefaultPrim().GetTypeName() == "PointInstancer"  # Kaolin's default points_type
    assert stage.GetEndTimeCode() == ITERATIONS[-1]
    geom = Usd.Stage.Open(str(log_dir / "points" / "geom" / "pointcloud_0.usd"))
    assert geom.GetDefaultPrim().GetTypeName() == "Points"
    voxels = Usd.Stage.Open(str(log_dir / "pred" / "voxelgrid_0.usd"))
    assert voxels.GetDefaultPrim().GetPath() == Sdf.Path("/voxelgrid_0")
    assert voxels.GetEndTimeCode() == ITERATIONS[-1] + 1  # Kaolin's "one frame later" convention
    for it in ITERATIONS:
        cloud = usd.import_pointcloud(log_dir / "pred" / "pointcloud_0.usd", time=it)
        assert torch.allclose(cloud.points, vertices_at(it, 0), atol=1e-6)
        assert torch.allclose(cloud.colors, torch.full((4, 3), 0.5))
        grid = usd.import_voxelgrid(log_dir / "pred" / "voxelgrid_0.usd", time=it)
        assert torch.equal(grid.occupancy, occupancy_at(it))
        assert torch.equal(grid.origin, torch.full((3,), -0.5)) and grid.size == 1.0


def test_reader_lists_and_loads_everything(log_dir):
    reader = TimelapseReader(log_dir)
    assert reader.categories == ["points/geom", "pred"]
    assert reader.ids("pred", "mesh") == [0, 1]
    assert reader.ids("pred", "pointcloud") == [0] and reader.ids("points/geom", "mesh") == []
    assert reader.iterations("pred", "mesh", 1) == list(ITERATIONS)
    assert reader.iterations("points/geom", "pointcloud", 0) == list(ITERATIONS)
    assert torch.allclose(reader.mesh("pred", 1, 10).vertices, vertices_at(10, 1), atol=1e-6)
    assert torch.allclose(reader.pointcloud("points/geom", 0, 20).points, vertices_at(20, 0), atol=1e-6)
    assert torch.equal(reader.voxelgrid("pred", 0, 0).occupancy, occupancy_at(0))
    with pytest.raises(LoadError, match="no time sample at time 5"):
        reader.mesh("pred", 0, 5)
    with pytest.raises(LoadError, match="no mesh 7"):
        reader.mesh("pred", 7, 0)


def test_every_timelapse_file_passes_usd_validators(log_dir):
    files = sorted(log_dir.rglob("*.usd*"))
    assert len(files) > 10
    for path in files:
        assert validation_errors(path) == [], path


def test_topology_change_and_missing_faces(tmp_path):
    timelapse = Timelapse(tmp_path)
    flipped = FACES[:, [0, 2, 1]]
    timelapse.add_mesh_batch(iteration=0, vertices_list=[vertices_at(0, 0)], faces_list=[FACES])
    timelapse.add_mesh_batch(iteration=1, vertices_list=[vertices_at(1, 0)])  # faces kept from the file
    timelapse.add_mesh_batch(iteration=2, vertices_list=[vertices_at(2, 0)], faces_list=[flipped])
    reader = TimelapseReader(tmp_path)
    assert reader.categories == [""]
    assert torch.equal(reader.mesh("", 0, 0).faces, FACES)
    assert torch.equal(reader.mesh("", 0, 1).faces, FACES)
    assert torch.equal(reader.mesh("", 0, 2).faces, flipped)
    assert torch.allclose(reader.mesh("", 0, 1).vertices, vertices_at(1, 0))


def test_voxelgrid_objects_keep_their_box(tmp_path):
    grid = VoxelGrid(occupancy_at(3), torch.tensor([1.0, 2.0, -3.0]), 0.75)
    Timelapse(tmp_path).add_voxelgrid_batch(iteration=4, voxelgrid_list=[grid])
    back = TimelapseReader(tmp_path).voxelgrid("", 0, 4)
    assert torch.equal(back.occupancy, grid.occupancy) and torch.equal(back.origin, grid.origin)
    assert back.size == 0.75


def test_bad_batches_raise_save_error(tmp_path):
    timelapse = Timelapse(tmp_path)
    with pytest.raises(SaveError, match="same length"):
        timelapse.add_mesh_batch(vertices_list=[vertices_at(0, 0)], faces_list=[FACES, FACES])
    with pytest.raises(SaveError, match="faces_list is needed"):
        timelapse.add_mesh_batch(vertices_list=[vertices_at(0, 0)])
    with pytest.raises(SaveError, match="points_type"):
        timelapse.add_pointcloud_batch(pointcloud_list=[torch.rand(3, 3)], points_type="spheres")
    with pytest.raises(SaveError, match="index out of range"):
        timelapse.add_mesh_batch(vertices_list=[vertices_at(0, 0)], faces_list=[FACES + 4])
    timelapse.add_pointcloud_batch(iteration=0, pointcloud_list=[torch.rand(3, 3)])
    with pytest.raises(SaveError, match="cannot append"):
        timelapse.add_pointcloud_batch(iteration=1, pointcloud_list=[torch.rand(3, 3)], points_type="usd_geom_points")
    with pytest.raises(LoadError, match="does not exist"):
        TimelapseReader(tmp_path / "nope")


def _clips(path) -> dict:
    """The ``clips`` metadata authored in a Timelapse root file (read from the layer, not composed)."""
    layer = Sdf.Layer.OpenAsAnonymous(str(path))
    return dict(layer.GetPrimAtPath(f"/{path.stem}").GetInfo("clips")["default"])


def test_evenly_spaced_iterations_use_a_constant_size_clip_template(tmp_path):
    timelapse = Timelapse(tmp_path)
    root = tmp_path / "mesh_0.usd"
    sizes = []
    for it in range(5, 60, 5):
        timelapse.add_mesh_batch(iteration=it, vertices_list=[vertices_at(it, 0)], faces_list=[FACES])
        sizes.append(root.stat().st_size)
    clips = _clips(root)
    assert "assetPaths" not in clips and "active" not in clips
    assert (clips["templateStartTime"], clips["templateStride"], clips["templateEndTime"]) == (5, 5, 55)
    assert len(set(sizes[1:])) == 1  # the root does not grow with the number of iterations
    stage = Usd.Stage.Open(str(root))
    points = UsdGeom.Mesh(stage.GetPrimAtPath("/mesh_0")).GetPointsAttr()
    assert points.GetTimeSamples() == list(range(5, 60, 5))
    for it in (5, 30, 55):
        assert torch.allclose(torch.tensor(points.Get(it)), vertices_at(it, 0))
    assert TimelapseReader(tmp_path).iterations("", "mesh", 0) == list(range(5, 60, 5))
    assert validation_errors(root) == []


@pytest.mark.parametrize("order", [(0, 2, 3, 6), (0, 4, 2, 6), (0, 2, 2, 4, 7)])
def test_unevenly_spaced_or_unordered_iterations_list_every_clip(tmp_path, order):
    timelapse = Timelapse(tmp_path)
    for step, it in enumerate(order):  # a repeated iteration is overwritten by its last append
        timelapse.add_pointcloud_batch(iteration=it, pointcloud_list=[vertices_at(it + 100 * step, 0)])
    expected = sorted(set(order))
    last_step = {it: step for step, it in enumerate(order)}
    root = tmp_path / "pointcloud_0.usd"
    clips = _clips(root)
    evenly_spaced = len({b - a for a, b in zip(expected, expected[1:])}) == 1
    assert ("templateAssetPath" in clips) == evenly_spaced and ("assetPaths" in clips) != evenly_spaced
    reader = TimelapseReader(tmp_path)
    assert reader.iterations("", "pointcloud", 0) == expected
    for it in expected:
        assert torch.allclose(reader.pointcloud("", 0, it).points, vertices_at(it + 100 * last_step[it], 0))
    with pytest.raises(LoadError, match="no time sample at time 1"):
        reader.pointcloud("", 0, 1)
    assert validation_errors(root) == []


def test_uvs_are_stored_indexed_as_given(tmp_path):
    """Kaolin's layout: ``st`` holds ``uvs`` (T, 2) with ``face_uvs_idx`` as its indices, so a reader keeping
    stored UVs (Kaolin's, ``merge_uvs=False``) gets the T values back even where corners share them or two
    values are equal; iterations without UVs keep the stored ones."""
    uvs = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.0, 0.0]])  # last equals the first
    face_uvs_idx = torch.tensor([[0, 1, 2], [0, 2, 3], [4, 3, 1], [1, 3, 2]])  # 12 corners, 5 values
    timelapse = Timelapse(tmp_path)
    timelapse.add_mesh_batch(iteration=0, vertices_list=[vertices_at(0, 0)], faces_list=[FACES], uvs_list=[uvs],
                             face_uvs_idx_list=[face_uvs_idx])
    timelapse.add_mesh_batch(iteration=3, vertices_list=[vertices_at(3, 0)], faces_list=[FACES])
    path = tmp_path / "mesh_0.usd"
    stage = Usd.Stage.Open(str(path))
    st = UsdGeom.PrimvarsAPI(stage.GetPrimAtPath("/mesh_0")).GetPrimvar("st")
    assert st.GetInterpolation() == "faceVarying" and len(st.Get()) == 5
    assert list(st.GetIndices()) == face_uvs_idx.reshape(-1).tolist()
    for it in (0, 3):
        (stored,) = usd.import_mesh_prims(path, times=[it], merge_uvs=False)
        assert torch.equal(stored.mesh.uvs, uvs) and torch.equal(stored.mesh.face_uvs_idx, face_uvs_idx)
        merged = usd.import_mesh(path, time=it)
        assert torch.equal(merged.uvs[merged.face_uvs_idx], uvs[face_uvs_idx])
