"""USD meshes of mixed polygons (a triangle, a quad and a pentagon) written with pxr directly, read by our
loaders and by Kaolin's names: fan triangulation of faces, face-varying UVs and normals and material subsets
against a hand-computed fan; the raw reader; UV and normal values whose count fits no interpolation."""
import numpy as np
import pytest
import torch
from pxr import Gf, Sdf, Usd, UsdGeom, UsdShade, Vt

import kaolin_pipeline.kaolin as kal
from kaolin_pipeline.errors import LoadError
from kaolin_pipeline.io import load_mesh, usd

POINTS = [(0, 0, 0), (1, 0, 0), (0, 1, 0), (2, 0, 0), (1.5, 1, 0), (3, 0, 0), (3.5, 1, 0), (2.5, 2, 0)]
COUNTS = [3, 4, 5]
INDICES = [0, 1, 2, 1, 3, 4, 2, 3, 5, 6, 7, 4]
# Fans from each polygon's first corner, by hand: positions in INDICES of the corners of each triangle ...
FAN_CORNERS = [[0, 1, 2], [3, 4, 5], [3, 5, 6], [7, 8, 9], [7, 9, 10], [7, 10, 11]]
# ... the vertex indices those corners hold, and the polygon each triangle comes from.
FAN_FACES = [[0, 1, 2], [1, 3, 4], [1, 4, 2], [3, 5, 6], [3, 6, 7], [3, 7, 4]]
FAN_POLYGON = [0, 1, 1, 2, 2, 2]
# One distinct UV and normal per polygon corner (12 corners).
CORNER_UVS = np.array([[c / 16, (c % 3) / 4] for c in range(12)], np.float32)
CORNER_NORMALS = np.array([[c, 1, 2] for c in range(12)], np.float32) / np.linalg.norm(
    [[c, 1, 2] for c in range(12)], axis=1, keepdims=True).astype(np.float32)
RED, BLUE = (1.0, 0.0, 0.0), (0.0, 0.0, 1.0)


def _material(stage, path, color):
    material = UsdShade.Material.Define(stage, path)
    shader = UsdShade.Shader.Define(stage, f"{path}/Shader")
    shader.CreateIdAttr("UsdPreviewSurface")
    shader.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).Set(Gf.Vec3f(*color))
    material.CreateSurfaceOutput().ConnectToSource(shader.ConnectableAPI(), "surface")
    return material


def write_polygons(path, uvs=CORNER_UVS, normals=CORNER_NORMALS, translate=(0.0, 0.0, 0.0)):
    """/World/poly: a triangle, a quad and a pentagon with face-varying ``st`` and normals; the triangle and the
    pentagon bound to a red material through one ``materialBind`` subset, the quad to a blue one."""
    stage = Usd.Stage.CreateNew(str(path))
    UsdGeom.Xform.Define(stage, "/World").AddTranslateOp().Set(Gf.Vec3d(*translate))
    mesh = UsdGeom.Mesh.Define(stage, "/World/poly")
    mesh.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(np.array(POINTS, np.float32)))
    mesh.CreateFaceVertexCountsAttr(COUNTS)
    mesh.CreateFaceVertexIndicesAttr(INDICES)
    mesh.CreateNormalsAttr(Vt.Vec3fArray.FromNumpy(normals))
    mesh.SetNormalsInterpolation(UsdGeom.Tokens.faceVarying)
    UsdGeom.PrimvarsAPI(mesh).CreatePrimvar("st", Sdf.ValueTypeNames.TexCoord2fArray,
                                            UsdGeom.Tokens.faceVarying).Set(Vt.Vec2fArray.FromNumpy(uvs))
    for name, faces, color in (("red", [0, 2], RED), ("blue", [1], BLUE)):
        subset = UsdGeom.Subset.CreateGeomSubset(mesh, name, UsdGeom.Tokens.face, Vt.IntArray(faces), "materialBind")
        UsdShade.MaterialBindingAPI.Apply(subset.GetPrim()).Bind(_material(stage, f"/World/Looks/{name}", color))
    stage.GetRootLayer().Save()


@pytest.fixture
def polygons(tmp_path):
    path = tmp_path / "polygons.usda"
    write_polygons(path)
    return path


def test_load_mesh_fans_mixed_polygons_with_their_uvs_normals_and_materials(polygons):
    mesh = load_mesh(polygons)
    assert mesh.faces.tolist() == FAN_FACES
    corners = np.array(FAN_CORNERS)
    assert torch.equal(mesh.uvs[mesh.face_uvs_idx], torch.from_numpy(CORNER_UVS[corners]))
    assert len(mesh.uvs) == 12  # distinct values are not merged away
    assert torch.equal(mesh.normals[mesh.face_normals_idx], torch.from_numpy(CORNER_NORMALS[corners]))
    colors = [material.diffuse_color.tolist() for material in mesh.materials]
    assert colors == [list(BLUE), list(RED)]  # sorted by prim path: /World/Looks/blue, /World/Looks/red
    polygon_color = [RED, BLUE, RED]
    assert [colors[i] for i in mesh.material_assignments.tolist()] == [list(polygon_color[p]) for p in FAN_POLYGON]


def test_kaolin_import_mesh_needs_a_handler_for_mixed_polygons(polygons):
    with pytest.raises(kal.io.utils.NonHomogeneousMeshError, match="/World/poly"):
        kal.io.usd.import_mesh(str(polygons))
    skipped = kal.io.usd.import_meshes(str(polygons),
                                       heterogeneous_mesh_handler=kal.io.utils.heterogeneous_mesh_handler_skip)
    assert skipped == []


def test_kaolin_naive_triangulate_handler_moves_uvs_normals_and_materials_with_the_fan(polygons):
    mesh = kal.io.usd.import_mesh(str(polygons), with_normals=True, with_materials=True,
                                  heterogeneous_mesh_handler=kal.io.utils.mesh_handler_naive_triangulate)
    corners = np.array(FAN_CORNERS)
    assert mesh.faces.tolist() == FAN_FACES
    flipped = np.stack([CORNER_UVS[:, 0], 1 - CORNER_UVS[:, 1]], axis=1)  # Kaolin's importers: v' = 1 - v
    assert torch.equal(mesh.uvs, torch.from_numpy(flipped))  # one UV per corner, as the file stores them
    assert mesh.face_uvs_idx.tolist() == FAN_CORNERS
    assert torch.equal(mesh.face_normals, torch.from_numpy(CORNER_NORMALS[corners]))  # (F, 3, 3)
    colors = [material.diffuse_color.tolist() for material in mesh.materials]
    polygon_color = [RED, BLUE, RED]
    assert [colors[i] for i in mesh.material_assignments.tolist()] == [list(polygon_color[p]) for p in FAN_POLYGON]
    # the handler on its own, on the raw arrays, gives the same fan
    stage = Usd.Stage.Open(str(polygons))
    raw = kal.io.usd.get_raw_mesh_prim_geometry(stage.GetPrimAtPath("/World/poly"))
    _, counts, faces = kal.io.utils.mesh_handler_naive_triangulate(raw["vertices"], raw["face_sizes"], raw["faces"])
    assert counts.tolist() == [3] * 6 and faces.tolist() == FAN_FACES


def test_raw_geometry_is_the_file_as_stored(tmp_path):
    path = tmp_path / "moved.usda"
    write_polygons(path, translate=(1.0, 2.0, 3.0))
    stage = Usd.Stage.Open(str(path))
    prim = stage.GetPrimAtPath("/World/poly")
    raw = usd.get_raw_mesh_prim_geometry(prim, with_normals=True, with_uvs=True)
    assert raw["vertices"].tolist() == [list(p) for p in POINTS]  # local coordinates
    # USD's row-vector convention: the translation in the last row
    expected_transform = torch.eye(4)
    expected_transform[3, :3] = torch.tensor([1.0, 2.0, 3.0])
    assert torch.equal(raw["transform"], expected_transform)
    assert raw["face_sizes"].tolist() == COUNTS and raw["faces"].tolist() == INDICES
    assert raw["faces"].dtype == raw["face_sizes"].dtype == torch.int64
    assert torch.equal(raw["normals"], torch.from_numpy(CORNER_NORMALS))
    assert raw["normals_interpolation"] == "faceVarying"
    assert torch.equal(raw["uvs"], torch.from_numpy(CORNER_UVS))
    assert raw["uv_idx"] is None and raw["uv_interpolation"] == "faceVarying"
    assert set(usd.get_raw_mesh_prim_geometry(prim)) == {"vertices", "transform", "faces", "face_sizes"}
    with pytest.raises(LoadError, match="not a Mesh"):
        usd.get_raw_mesh_prim_geometry(prim.GetParent())


def test_uvs_whose_count_fits_no_interpolation_are_kept_raw_by_kaolins_names(tmp_path):
    path = tmp_path / "odd_uvs.usda"
    write_polygons(path, uvs=CORNER_UVS[:5])  # 5 face-varying values for 12 corners
    assert load_mesh(path).uvs is None  # our loader: no per-corner UVs to give
    mesh = kal.io.usd.import_mesh(str(path), triangulate=True)
    assert torch.equal(mesh.uvs, torch.from_numpy(np.stack([CORNER_UVS[:5, 0], 1 - CORNER_UVS[:5, 1]], axis=1)))
    assert mesh.face_uvs_idx is None


def test_face_varying_normals_of_a_prim_without_faces_read_as_kaolin_reads_them(tmp_path):
    path = tmp_path / "normals_only.usda"
    stage = Usd.Stage.CreateNew(str(path))
    mesh = UsdGeom.Mesh.Define(stage, "/World/normals")
    mesh.CreateNormalsAttr(Vt.Vec3fArray.FromNumpy(CORNER_NORMALS[:6]))
    mesh.SetNormalsInterpolation(UsdGeom.Tokens.faceVarying)
    stage.GetRootLayer().Save()
    read = kal.io.usd.import_mesh(str(path), with_normals=True)
    assert torch.equal(read.face_normals, torch.from_numpy(CORNER_NORMALS[:6]).unsqueeze(1))  # (N, 1, 3)


def test_uv_primvar_is_chosen_in_kaolins_order(tmp_path):
    path = tmp_path / "uvsets.usda"
    stage = Usd.Stage.CreateNew(str(path))
    mesh = UsdGeom.Mesh.Define(stage, "/m")
    mesh.CreatePointsAttr([(0, 0, 0), (1, 0, 0), (0, 1, 0)])
    mesh.CreateFaceVertexCountsAttr([3])
    mesh.CreateFaceVertexIndicesAttr([0, 1, 2])
    primvars = UsdGeom.PrimvarsAPI(mesh)
    values = {"A_float2": 0.1, "UVMap": 0.2, "z_texcoord": 0.3}
    for name, kind in (("A_float2", Sdf.ValueTypeNames.Float2Array), ("UVMap", Sdf.ValueTypeNames.Float2Array),
                       ("z_texcoord", Sdf.ValueTypeNames.TexCoord2fArray)):
        primvars.CreatePrimvar(name, kind, UsdGeom.Tokens.vertex).Set([(values[name], 0)] * 3)
    stage.GetRootLayer().Save()

    def first_u():
        opened = Usd.Stage.Open(str(path))
        raw = usd.get_raw_mesh_prim_geometry(opened.GetPrimAtPath("/m"), with_uvs=True)
        return round(float(raw["uvs"][0, 0]), 3)

    assert first_u() == 0.3  # a texCoord2f[] primvar before Blender's UVMap and other float2[] ones
    primvars.RemovePrimvar("z_texcoord")
    stage.GetRootLayer().Save()
    assert first_u() == 0.2  # then UVMap, though a float2[] primvar comes first by name
