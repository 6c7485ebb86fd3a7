"""USD import/export of meshes, point clouds and voxel grids: round trips, time samples, layout, errors."""
import numpy as np
import pytest
import torch
from pxr import Gf, Sdf, Usd, UsdGeom, Vt

from kaolin_pipeline.io import usd
from kaolin_pipeline.structures import Mesh, PointCloud, VoxelGrid
from kaolin_pipeline.errors import LoadError, SaveError
from usd_validation import validation_errors


def textured_mesh(seed: int = 0) -> Mesh:
    """Two quads split in triangles, with shared and unshared UVs, colours, normals and an 8-bit-exact texture."""
    g = torch.Generator().manual_seed(seed)
    vertices = torch.rand(6, 3, generator=g)
    faces = torch.tensor([[0, 1, 2], [0, 2, 3], [1, 4, 5], [1, 5, 2]])
    uvs = torch.rand(7, 2, generator=g)
    face_uvs_idx = torch.tensor([[0, 1, 2], [0, 2, 3], [4, 5, 6], [4, 6, 1]])
    normals = torch.nn.functional.normalize(torch.randn(6, 3, generator=g), dim=1)
    texture = torch.randint(0, 256, (3, 5, 7), generator=g).float() * (1 / 255)  # the readers' 8-bit values
    return Mesh(vertices, faces, uvs, face_uvs_idx, torch.rand(6, 3, generator=g), normals, texture)


@pytest.mark.parametrize("suffix", [".usda", ".usd", ".usdc"])
def test_mesh_round_trip_keeps_every_field(tmp_path, suffix):
    mesh = textured_mesh()
    path = tmp_path / f"shape{suffix}"
    usd.export_mesh(path, mesh)
    back = usd.import_mesh(path)
    assert torch.equal(back.faces, mesh.faces)
    assert torch.allclose(back.vertices, mesh.vertices, atol=1e-6)
    # UVs are stored per face corner and de-duplicated on import: compare corner by corner.
    assert torch.allclose(back.uvs[back.face_uvs_idx], mesh.uvs[mesh.face_uvs_idx], atol=1e-6)
    assert back.uvs.shape[0] == 7  # the 12 corners use 7 distinct UVs
    assert torch.allclose(back.vertex_colors, mesh.vertex_colors, atol=1e-6)
    assert torch.allclose(back.vertex_normals, mesh.vertex_normals, atol=1e-6)
    assert torch.allclose(back.texture, mesh.texture, atol=1e-6)
    assert (tmp_path / "textures" / "shape_mesh_0_diffuse.png").is_file()
    assert back.vertices.dtype == torch.float32 and back.faces.dtype == torch.int64


def test_mesh_layout_material_and_stage_metadata(tmp_path):
    path = tmp_path / "shape.usda"
    usd.export_mesh(path, textured_mesh(), prim_path="/Root/thing")
    stage = Usd.Stage.Open(str(path))
    assert UsdGeom.GetStageUpAxis(stage) == "Y" and UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    assert stage.GetDefaultPrim().GetPath() == Sdf.Path("/World")
    mesh = UsdGeom.Mesh(stage.GetPrimAtPath("/Root/thing"))
    assert list(mesh.GetFaceVertexCountsAttr().Get()) == [3, 3, 3, 3]
    st = UsdGeom.PrimvarsAPI(mesh).GetPrimvar("st")
    assert st.GetInterpolation() == "faceVarying" and len(st.Get()) == 12
    assert UsdGeom.PrimvarsAPI(mesh).GetPrimvar("displayColor").GetInterpolation() == "vertex"
    from pxr import UsdShade

    material = UsdShade.MaterialBindingAPI(mesh.GetPrim()).ComputeBoundMaterial()[0]
    surface = material.ComputeSurfaceSource()[0]
    assert surface.GetIdAttr().Get() == "UsdPreviewSurface"
    texture = UsdShade.Shader(surface.GetInput("diffuseColor").GetConnectedSource()[0].GetPrim())
    assert texture.GetIdAttr().Get() == "UsdUVTexture"
    reader = UsdShade.Shader(texture.GetInput("st").GetConnectedSource()[0].GetPrim())
    assert reader.GetIdAttr().Get() == "UsdPrimvarReader_float2" and reader.GetInput("varname").Get() == "st"
    assert validation_errors(path) == []


def test_mesh_time_samples_add_to_the_file_and_topology_is_written_once(tmp_path):
    path = tmp_path / "anim.usd"
    base = textured_mesh()
    for t in range(3):
        usd.export_mesh(path, Mesh(base.vertices + t, base.faces, base.uvs, base.face_uvs_idx), time=t)
    for t in range(3):
        assert torch.allclose(usd.import_mesh(path, time=t).vertices, base.vertices + t, atol=1e-6)
    assert torch.allclose(usd.import_mesh(path).vertices, base.vertices + 2, atol=1e-6)  # None = latest
    stage = Usd.Stage.Open(str(path))
    assert stage.GetStartTimeCode() == 0 and stage.GetEndTimeCode() == 2
    indices = stage.GetAttributeAtPath(f"{usd.DEFAULT_MESH_PATH}.faceVertexIndices")
    assert indices.GetNumTimeSamples() == 0 and indices.Get() is not None
    with pytest.raises(LoadError, match="no time sample at time 5"):
        usd.import_mesh(path, time=5)


def test_mesh_topology_change_becomes_time_samples(tmp_path):
    path = tmp_path / "remesh.usda"
    base = textured_mesh()
    flipped = base.faces[:, [0, 2, 1]]
    usd.export_mesh(path, Mesh(base.vertices, base.faces), time=0)
    usd.export_mesh(path, Mesh(base.vertices, base.faces), time=1)
    usd.export_mesh(path, Mesh(base.vertices, flipped), time=2)
    assert torch.equal(usd.import_mesh(path, time=0).faces, base.faces)
    assert torch.equal(usd.import_mesh(path, time=1).faces, base.faces)
    assert torch.equal(usd.import_mesh(path, time=2).faces, flipped)


def test_import_triangulates_polygons_applies_transforms_and_reads_vertex_uvs(tmp_path):
    path = tmp_path / "poly.usda"
    stage = Usd.Stage.CreateNew(str(path))
    xform = UsdGeom.Xform.Define(stage, "/World")
    xform.AddTranslateOp().Set(Gf.Vec3d(1.0, 2.0, 3.0))
    xform.AddScaleOp().Set(Gf.Vec3f(2.0, 2.0, 2.0))
    mesh = UsdGeom.Mesh.Define(stage, "/World/poly")
    points = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [2, 0, 0], [2, 1, 0], [1.5, 2, 0]], np.float32)
    mesh.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(points))
    mesh.CreateFaceVertexCountsAttr([4, 5])
    mesh.CreateFaceVertexIndicesAttr([0, 1, 2, 3, 1, 4, 5, 6, 2])
    mesh.CreateNormalsAttr(Vt.Vec3fArray.FromNumpy(np.tile([[0, 0, 1]], (7, 1)).astype(np.float32)))
    mesh.SetNormalsInterpolation("vertex")
    uv = UsdGeom.PrimvarsAPI(mesh).CreatePrimvar("st", Sdf.ValueTypeNames.TexCoord2fArray, "vertex")
    uv.Set(Vt.Vec2fArray.FromNumpy(points[:, :2] / 2))
    stage.GetRootLayer().Save()

    back = usd.import_mesh(path)
    expected_faces = [[0, 1, 2], [0, 2, 3], [1, 4, 5], [1, 5, 6], [1, 6, 2]]  # fans of a quad and a pentagon
    assert back.faces.tolist() == expected_faces
    assert torch.allclose(back.vertices, torch.from_numpy(points * 2 + [1, 2, 3]).float())
    assert torch.allclose(back.uvs[back.face_uvs_idx], torch.from_numpy(points[:, :2] / 2)[back.faces])
    assert torch.allclose(back.vertex_normals, torch.tensor([[0.0, 0.0, 1.0]]).expand(7, 3))


@pytest.mark.parametrize("points_type", usd.POINTS_TYPES)
def test_pointcloud_round_trip_at_several_times(tmp_path, points_type):
    path = tmp_path / "cloud.usd"
    g = torch.Generator().manual_seed(1)
    clouds = [PointCloud(torch.rand(50, 3, generator=g) + t,
                         torch.nn.functional.normalize(torch.randn(50, 3, generator=g), dim=1),
                         torch.rand(50, 3, generator=g)) for t in range(3)]
    for t, cloud in enumerate(clouds):
        usd.export_pointcloud(path, cloud, time=t, points_type=points_type)
    for t, cloud in enumerate(clouds):
        back = usd.import_pointcloud(path, time=t)
        for name in ("points", "normals", "colors"):
            assert torch.allclose(getattr(back, name), getattr(cloud, name), atol=1e-6), name
    stage = Usd.Stage.Open(str(path))
    prim = stage.GetPrimAtPath(usd.DEFAULT_POINTCLOUD_PATH)
    assert prim.GetTypeName() == ("Points" if points_type == "usd_geom_points" else "PointInstancer")
    if points_type == "point_instancer":
        assert UsdGeom.PointInstancer(prim).GetPrototypesRel().GetTargets() == [prim.GetPath().AppendChild("sphere")]
    assert validation_errors(path) == []


def test_pointcloud_without_optional_fields(tmp_path):
    path = tmp_path / "plain.usda"
    points = torch.rand(10, 3)
    usd.export_pointcloud(path, PointCloud(points))
    back = usd.import_pointcloud(path)
    assert torch.allclose(back.points, points) and back.normals is None and back.colors is None


def test_voxelgrid_round_trip_is_bit_exact_at_several_times(tmp_path):
    path = tmp_path / "grid.usd"
    g = torch.Generator().manual_seed(2)
    grids = [VoxelGrid(torch.rand(r, r, r, generator=g) > 0.6, torch.tensor([0.1, -0.25, 3.3]) * (t + 1), 1.7 + t)
             for t, r in enumerate((4, 4, 6))]
    for t, grid in enumerate(grids):
        usd.export_voxelgrid(path, grid, time=t)
    for t, grid in enumerate(grids):
        back = usd.import_voxelgrid(path, time=t)
        assert torch.equal(back.occupancy, grid.occupancy)
        assert torch.equal(back.origin, grid.origin) and back.size == grid.size
    assert validation_errors(path) == []


def test_voxelgrid_instances_sit_at_voxel_centres(tmp_path):
    """Independent check of the layout: USD's own transform maps each instance to origin + size * (idx + 0.5) / R."""
    path = tmp_path / "grid.usda"
    occupancy = torch.zeros(4, 4, 4, dtype=torch.bool)
    occupancy[0, 1, 3] = occupancy[3, 0, 2] = True
    grid = VoxelGrid(occupancy, torch.tensor([1.0, -2.0, 0.5]), 2.0)
    usd.export_voxelgrid(path, grid)
    stage = Usd.Stage.Open(str(path))
    prim = stage.GetPrimAtPath(usd.DEFAULT_VOXELGRID_PATH)
    instancer = UsdGeom.PointInstancer(prim)
    matrix = np.array(UsdGeom.Xformable(prim).ComputeLocalToWorldTransform(Usd.TimeCode.Default()))
    positions = np.array(instancer.GetPositionsAttr().Get())
    world = positions @ matrix[:3, :3] + matrix[3, :3]
    expected = np.array([[1.0 + 0.25, -2.0 + 0.75, 0.5 + 1.75], [1.0 + 1.75, -2.0 + 0.25, 0.5 + 1.25]])
    assert np.allclose(sorted(world.tolist()), sorted(expected.tolist()))
    assert prim.GetAttribute("primvars:grid_size").Get() == 4
    assert prim.GetAttribute("primvars:kaolin_type").Get() == "VoxelGrid"
    # Without the exact box attributes (a Kaolin-written file) the box is derived from the transform.
    for name in (usd.ORIGIN_ATTR, usd.SIZE_ATTR):
        prim.RemoveProperty(name)
    stage.GetRootLayer().Save()
    del stage, prim
    back = usd.import_voxelgrid(path)
    assert torch.equal(back.occupancy, occupancy)
    assert torch.allclose(back.origin, grid.origin) and back.size == pytest.approx(2.0)


def test_missing_file_and_non_usd_content_raise_load_error(tmp_path):
    with pytest.raises(LoadError, match="missing.usd"):
        usd.import_mesh(tmp_path / "missing.usd")
    garbage = tmp_path / "garbage.usda"
    garbage.write_text("this is not usd at all\n")
    with pytest.raises(LoadError, match="garbage.usda"):
        usd.import_mesh(garbage)
    with pytest.raises(LoadError, match="unsupported file extension"):
        usd.import_mesh(tmp_path / "mesh.obj")


def test_missing_prims_bad_prim_path_and_time_without_samples_raise_load_error(tmp_path):
    path = tmp_path / "cloud.usda"
    usd.export_pointcloud(path, PointCloud(torch.rand(5, 3)))
    with pytest.raises(LoadError, match="cloud.usda: no Mesh prim"):
        usd.import_mesh(path)
    with pytest.raises(LoadError, match="no prim at prim_path '/Nope'"):
        usd.import_pointcloud(path, prim_path="/Nope")
    with pytest.raises(LoadError, match="not a Mesh"):
        usd.import_mesh(path, prim_path=usd.DEFAULT_POINTCLOUD_PATH)
    with pytest.raises(LoadError, match="has no time samples"):
        usd.import_pointcloud(path, time=3)
    with pytest.raises(LoadError, match="no voxel grid"):
        usd.import_voxelgrid(path)


def test_export_rejects_bad_input_with_save_error(tmp_path):
    mesh = textured_mesh()
    with pytest.raises(SaveError, match="index out of range"):
        usd.export_mesh(tmp_path / "bad.usd", Mesh(mesh.vertices, mesh.faces + 10))
    with pytest.raises(SaveError, match="prim_path"):
        usd.export_mesh(tmp_path / "bad.usd", mesh, prim_path="relative/path")
    with pytest.raises(SaveError, match="points_type"):
        usd.export_pointcloud(tmp_path / "bad.usd", PointCloud(torch.rand(3, 3)), points_type="spheres")
    with pytest.raises(SaveError, match="unsupported file extension"):
        usd.export_mesh(tmp_path / "bad.obj", mesh)
    assert not list(tmp_path.glob("bad*"))


def test_failed_export_leaves_the_existing_file_untouched(tmp_path):
    path = tmp_path / "keep.usd"
    usd.export_pointcloud(path, PointCloud(torch.rand(5, 3)), time=0)
    before = path.read_bytes()
    with pytest.raises(SaveError):
        usd.export_pointcloud(path, PointCloud(torch.rand(5, 3)), time=1, points_type="point_instancer")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.usd"]


def test_face_varying_uvs_merge_equal_values_and_keep_every_corner(tmp_path):
    path = tmp_path / "corners.usda"
    stage = Usd.Stage.CreateNew(str(path))
    mesh = UsdGeom.Mesh.Define(stage, "/m")
    mesh.CreatePointsAttr([(0, 0, 0), (1, 0, 0), (0, 1, 0), (1, 1, 0)])
    mesh.CreateFaceVertexCountsAttr([3, 3])
    mesh.CreateFaceVertexIndicesAttr([0, 1, 2, 2, 1, 3])
    # 6 corners, 4 distinct values: the shared edge repeats two UVs, and -0.0 equals 0.0.
    corners = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (-0.0, 1.0), (1.0, -0.0), (1.0, 1.0)]
    UsdGeom.PrimvarsAPI(mesh).CreatePrimvar("st", Sdf.ValueTypeNames.TexCoord2fArray, "faceVarying").Set(corners)
    stage.Save()
    loaded = usd.import_mesh(path)
    assert loaded.uvs.shape == (4, 2)
    assert loaded.uvs[loaded.face_uvs_idx].reshape(-1, 2).tolist() == [[abs(u), abs(v)] for u, v in corners]
