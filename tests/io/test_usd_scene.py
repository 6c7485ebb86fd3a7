"""Live USD stages (io.usd.scene), prim transforms, GeomSubsets and Kaolin-layout authoring (io.usd.authoring),
each checked against what pxr itself writes or reads back."""
import numpy as np
import pytest
import torch
from pxr import Gf, Sdf, Usd, UsdGeom, Vt

from kaolin_pipeline.errors import LoadError, MissingFileError, PipelineError, SaveError
from kaolin_pipeline.io import usd
from kaolin_pipeline.io.usd.authoring import add_mesh, add_pointcloud, add_voxelgrid
from kaolin_pipeline.io.usd.scene import create_stage, get_authored_time_samples, get_scene_paths
from kaolin_pipeline.io.usd.subset import add_subset, import_subsets
from kaolin_pipeline.io.usd.transform import get_local_to_world_transform, set_local_to_world_transform
from kaolin_pipeline.structures import PointCloud


def _pxr_scene(path):
    """A file written by pxr alone: a mesh with a sampled translation under an Xform, and a Points prim."""
    stage = Usd.Stage.CreateNew(str(path))
    UsdGeom.Xform.Define(stage, "/Root")
    mesh = UsdGeom.Mesh.Define(stage, "/Root/Quad")
    mesh.CreatePointsAttr([(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0)])
    mesh.CreateFaceVertexCountsAttr([4])
    mesh.CreateFaceVertexIndicesAttr([0, 1, 2, 3])
    op = mesh.AddTranslateOp()
    op.Set(Gf.Vec3d(1, 0, 0), 2.0)
    op.Set(Gf.Vec3d(3, 0, 0), 4.0)
    UsdGeom.Points.Define(stage, "/Root/Cloud").CreatePointsAttr([(0, 0, 0)])
    stage.Save()
    return stage


def test_create_stage_scene_paths_and_time_samples_of_a_pxr_file(tmp_path):
    path = tmp_path / "scene.usda"
    _pxr_scene(path)
    assert get_scene_paths(str(path)) == ["/Root", "/Root/Quad", "/Root/Cloud"]
    assert get_scene_paths(str(path), prim_types="mesh") == ["/Root/Quad"]
    assert get_scene_paths(str(path), scene_path_regex=".*C", prim_types=["Points", "Mesh"]) == ["/Root/Cloud"]
    assert get_scene_paths(str(path), conditional=lambda prim: prim.GetTypeName() == "Xform") == ["/Root"]
    assert get_authored_time_samples(str(path)) == [2.0, 4.0]
    with pytest.raises(MissingFileError):
        get_scene_paths(str(tmp_path / "none.usda"))

    new = tmp_path / "new.usda"
    stage = create_stage(str(new), up_axis="Z")
    stage.DefinePrim("/World/Thing", "Xform")
    assert get_scene_paths(str(new)) == ["/World", "/World/Thing"]  # the open stage's unsaved edits are seen
    stage.Save()
    reopened = Usd.Stage.Open(str(new))
    assert UsdGeom.GetStageUpAxis(reopened) == "Z" and reopened.GetDefaultPrim().GetPath() == "/World"
    again = create_stage(str(new))  # while the first is open: its layer is cleared
    assert get_scene_paths(again) == ["/World"] and UsdGeom.GetStageUpAxis(again) == "Y"
    with pytest.raises(SaveError, match="folder"):
        create_stage(str(tmp_path / "missing" / "x.usda"))


def test_transforms_match_pxr_and_compose_with_parents(tmp_path):
    path = tmp_path / "scene.usda"
    _pxr_scene(path)
    assert torch.equal(get_local_to_world_transform(str(path), "/Root/Quad", time=2),
                       torch.tensor([[1.0, 0, 0, 1], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], dtype=torch.float64))
    assert get_local_to_world_transform(str(path), "/Root/Quad", time=3)[0, 3] == 2  # pxr interpolates
    assert get_local_to_world_transform(str(path), "/Root") is None

    stage = Usd.Stage.CreateInMemory()
    parent = UsdGeom.Xform.Define(stage, "/P")
    parent.AddRotateZOp().Set(90.0)
    parent.AddTranslateOp().Set(Gf.Vec3d(0, 0, 5))
    child = UsdGeom.Xform.Define(stage, "/P/C")
    wanted = torch.tensor([[0.0, 0, 1, 1], [0, 1, 0, 2], [-1, 0, 0, 3], [0, 0, 0, 1]], dtype=torch.float64)
    set_local_to_world_transform(stage, "/P/C", wanted, time=7)
    computed = np.array(child.ComputeLocalToWorldTransform(7))  # row vectors: the transpose
    assert np.allclose(computed, wanted.numpy().T)
    assert torch.allclose(get_local_to_world_transform(stage, child.GetPrim(), 7), wanted)
    with pytest.raises(LoadError, match="No prim found at path"):
        get_local_to_world_transform(stage, "/Nothing")
    UsdGeom.Scope.Define(stage, "/S")
    with pytest.raises(PipelineError, match="not a UsdGeom.Xformable"):
        set_local_to_world_transform(stage, "/S", wanted)


def test_subsets_written_here_read_by_pxr_and_back(tmp_path):
    path = tmp_path / "scene.usda"
    _pxr_scene(path)
    prim = add_subset(str(path), "/Root/Quad", "left", torch.tensor([0]), family_name="part")
    assert prim.GetPath() == "/Root/Quad/left"
    stage = Usd.Stage.Open(str(path))
    subset = UsdGeom.Subset(stage.GetPrimAtPath("/Root/Quad/left"))  # saved by add_subset
    assert list(subset.GetIndicesAttr().Get()) == [0] and subset.GetElementTypeAttr().Get() == "face"
    add_subset(stage, "/Root/Cloud", "one", torch.tensor([0]), family_name="region")
    assert UsdGeom.Subset(stage.GetPrimAtPath("/Root/Cloud/one")).GetElementTypeAttr().Get() == "point"
    with pytest.raises(LoadError, match="already exists"):
        add_subset(stage, "/Root/Quad", "left", torch.tensor([1]))
    add_subset(stage, "/Root/Quad", "left", torch.tensor([2, 1]), family_name="materialBind", overwrite=True)
    found = import_subsets(stage, "/Root/Quad")
    assert list(found) == ["/Root/Quad/left"] and found["/Root/Quad/left"]["family_name"] == "materialBind"
    assert torch.equal(found["/Root/Quad/left"]["indices"], torch.tensor([2, 1]))
    assert import_subsets(stage, "/Root/Quad", family_name="part") == {}
    assert import_subsets(str(path), "/Root") == {}
    with pytest.raises(LoadError, match="No prim found at path"):
        import_subsets(str(path), "/Root/Missing")


def test_kaolin_layout_prims_read_back_by_pxr(tmp_path):
    stage = create_stage(str(tmp_path / "a.usda"))
    quads = torch.tensor([[0, 1, 2, 3]])
    vertices = torch.tensor([[0.0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]])
    uvs = torch.tensor([[0.0, 0], [1, 1]])
    add_mesh(stage, "/World/quad", vertices, quads, uvs, torch.tensor([[0, 1, 1, 0]]),
             face_normals=torch.tensor([[[0.0, 0, 1]] * 4]))
    mesh = UsdGeom.Mesh(stage.GetPrimAtPath("/World/quad"))
    assert list(mesh.GetFaceVertexCountsAttr().Get()) == [4] and mesh.GetNormalsInterpolation() == "faceVarying"
    st = UsdGeom.PrimvarsAPI(mesh).GetPrimvar("st")
    assert st.GetInterpolation() == "faceVarying"
    assert np.array(st.ComputeFlattened()).tolist() == [[0, 0], [1, 1], [1, 1], [0, 0]]
    with pytest.raises(SaveError, match="face_uvs_idx given without uvs"):
        add_mesh(stage, "/World/bad", vertices, quads, face_uvs_idx=quads)

    points = torch.tensor([[0.0, 0, 0], [2, 4, 8], [1, 1, 1], [0, 2, 0], [2, 0, 0], [1, 3, 2], [0, 0, 8], [2, 4, 0]])
    add_pointcloud(stage, "/World/cloud", points, points_type="usd_geom_points", colors=torch.rand(8, 3))
    geom = UsdGeom.Points(stage.GetPrimAtPath("/World/cloud"))
    assert np.allclose(np.array(geom.GetWidthsAttr().Get()), 2 / 8 ** (1 / 3))  # smallest side / cube root of N
    with pytest.raises(SaveError, match="overwrite=True"):
        add_pointcloud(stage, "/World/cloud", points)
    add_pointcloud(stage, "/World/cloud", points, overwrite=True, time=3)
    instancer = UsdGeom.PointInstancer(stage.GetPrimAtPath("/World/cloud"))
    assert np.array_equal(np.array(instancer.GetPositionsAttr().Get(3)), points.numpy())

    grid = torch.zeros(5, 5, 5)
    grid[4, 0, 2] = 1
    add_voxelgrid(stage, grid, "/World/grid")
    prim = stage.GetPrimAtPath("/World/grid")
    assert np.array(UsdGeom.PointInstancer(prim).GetPositionsAttr().Get()).tolist() == [[4, 0, 2]]
    corner = np.array([4, 0, 2, 1.0]) @ np.array(UsdGeom.Xformable(prim).ComputeLocalToWorldTransform(0))
    assert np.allclose(corner[:3], (np.array([4, 0, 2]) - 0.5) / 4)  # shifted by -0.5, then scaled by 1/(R-1)
    stage.Save()
    assert torch.equal(usd.import_voxelgrid(str(tmp_path / "a.usda"), prim_path="/World/grid").occupancy, grid != 0)


def test_indexed_uv_primvars_written_by_pxr(tmp_path):
    path = tmp_path / "uv.usda"
    stage = Usd.Stage.CreateNew(str(path))
    mesh = UsdGeom.Mesh.Define(stage, "/M")
    mesh.CreatePointsAttr([(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0)])
    mesh.CreateFaceVertexCountsAttr([4])
    mesh.CreateFaceVertexIndicesAttr([0, 1, 2, 3])
    primvar = UsdGeom.PrimvarsAPI(mesh).CreatePrimvar("st", Sdf.ValueTypeNames.TexCoord2fArray, "vertex")
    primvar.Set([(0.5, 0.5), (1, 0)])
    primvar.SetIndices(Vt.IntArray([1, 0, 1, 0]))  # vertex v has UV values[indices[v]]
    stage.Save()
    read = usd.import_mesh(str(path))  # a quad, fan-split into (0, 1, 2), (0, 2, 3)
    face_uvs = read.uvs[read.face_uvs_idx]
    by_hand = torch.tensor([[[1.0, 0], [0.5, 0.5], [1, 0]], [[1.0, 0], [1, 0], [0.5, 0.5]]])
    assert torch.equal(face_uvs, by_hand)

    quad, = usd.import_mesh_prims(str(path), triangulate=False)  # polygons of one size kept as they are
    assert quad.mesh.faces.tolist() == [[0, 1, 2, 3]] and quad.mesh.face_uvs_idx.tolist() == [[1, 0, 1, 0]]
    assert quad.corner_counts == {4}


def test_a_missing_texture_warns_and_the_mesh_is_read(tmp_path):
    from kaolin_pipeline.errors import MaterialFileError
    from pxr import UsdShade

    path = tmp_path / "tex.usda"
    stage = Usd.Stage.CreateNew(str(path))
    mesh = UsdGeom.Mesh.Define(stage, "/M")
    mesh.CreatePointsAttr([(0, 0, 0), (1, 0, 0), (0, 1, 0)])
    mesh.CreateFaceVertexCountsAttr([3])
    mesh.CreateFaceVertexIndicesAttr([0, 1, 2])
    material = UsdShade.Material.Define(stage, "/Looks/m")
    surface = UsdShade.Shader.Define(stage, "/Looks/m/surface")
    surface.CreateIdAttr("UsdPreviewSurface")
    texture = UsdShade.Shader.Define(stage, "/Looks/m/tex")
    texture.CreateIdAttr("UsdUVTexture")
    texture.CreateInput("file", Sdf.ValueTypeNames.Asset).Set("gone.png")
    surface.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).ConnectToSource(
        texture.ConnectableAPI(), "rgb")
    material.CreateSurfaceOutput().ConnectToSource(surface.ConnectableAPI(), "surface")
    UsdShade.MaterialBindingAPI.Apply(mesh.GetPrim()).Bind(material)
    stage.Save()
    with pytest.warns(MaterialFileError, match="gone.png"):
        read = usd.import_mesh(str(path))
    assert read.faces.tolist() == [[0, 1, 2]] and read.materials[0].diffuse_texture is None


def test_partial_prims_signed_zeros_and_uv_order_as_the_file_has_them(tmp_path):
    path = tmp_path / "partial.usda"
    stage = Usd.Stage.CreateNew(str(path))
    UsdGeom.Mesh.Define(stage, "/Points").CreatePointsAttr([(-0.0, 1, 2), (3, -0.0, 5)])  # no faces at all
    mesh = UsdGeom.Mesh.Define(stage, "/Tri")
    mesh.CreatePointsAttr([(0, 0, 0), (1, 0, 0), (0, 1, 0)])
    mesh.CreateFaceVertexCountsAttr([3])
    mesh.CreateFaceVertexIndicesAttr([0, 1, 2])
    st = UsdGeom.PrimvarsAPI(mesh).CreatePrimvar("st", Sdf.ValueTypeNames.TexCoord2fArray, "faceVarying")
    st.Set([(0.9, 0.1), (0.2, 0.3), (0.9, 0.1)])  # the first and last corners share a UV
    stage.Save()
    points, tri = usd.import_mesh_prims(str(path))
    assert points.mesh.faces.shape == (0, 3) and points.mesh.vertices.shape == (2, 3)
    assert torch.signbit(points.mesh.vertices[:, :2]).tolist() == [[True, False], [False, True]]
    assert torch.equal(tri.mesh.uvs, torch.tensor([[0.9, 0.1], [0.2, 0.3]]))  # listed by first corner
    assert tri.mesh.face_uvs_idx.tolist() == [[0, 1, 0]]


def test_a_file_rewritten_on_disk_is_read_anew_unless_the_program_holds_unsaved_edits(tmp_path):
    path = tmp_path / "cloud.usda"
    first = create_stage(str(path))
    add_pointcloud(first, "/World/a", torch.rand(5, 3))
    first.Save()
    assert get_scene_paths(str(path), prim_types="PointInstancer") == ["/World/a"]
    usd.export_pointcloud(str(path), PointCloud(points=torch.rand(4, 3)), prim_path="/World/b")  # a new file, renamed over
    assert get_scene_paths(str(path), prim_types="Points") == ["/World/b"]
    assert get_scene_paths(str(path), prim_types="PointInstancer") == []
