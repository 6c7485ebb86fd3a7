"""Kaolin's USD mesh materials through the Kaolin layer: export in Kaolin's layout (``Looks/material_<i>`` bound to
``subset_<i>``), import as Kaolin reads them (any surface output, textures (H, W, C), roughness and metallic from
the green and blue channels), checked with pxr and PIL directly."""
import numpy as np
import torch
from PIL import Image
from pxr import Gf, Sdf, Usd, UsdGeom, UsdShade

import kaolin_pipeline.kaolin as kal
from kaolin_pipeline.structures import PBRMaterial


def test_export_mesh_writes_kaolins_material_layout_and_reads_it_back(tmp_path):
    path = tmp_path / "two.usda"
    vertices = torch.tensor([[0.0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]])
    faces = torch.tensor([[0, 1, 2], [1, 3, 2]])
    texture = torch.tensor([[[0, 64, 128], [255, 0, 32]], [[16, 16, 16], [200, 100, 0]]]) / 255.0  # (H, W, 3)
    materials = [PBRMaterial(diffuse_color=torch.tensor([1.0, 0, 0])),
                 PBRMaterial(diffuse_color=torch.tensor([0.0, 0, 1]), diffuse_texture=texture)]
    kal.io.usd.export_mesh(str(path), "/World/m", vertices=vertices, faces=faces, materials=materials,
                           material_assignments=torch.tensor([1, 0]))
    stage = Usd.Stage.Open(str(path))
    assert stage.GetPrimAtPath("/World/m/Looks").GetTypeName() == "Scope"
    for i, faces_of_material in enumerate([[1], [0]]):
        subset = UsdGeom.Subset(stage.GetPrimAtPath(f"/World/m/subset_{i}"))
        assert list(subset.GetIndicesAttr().Get()) == faces_of_material
        assert subset.GetFamilyNameAttr().Get() == "materialBind"
        bound, _ = UsdShade.MaterialBindingAPI(subset.GetPrim()).ComputeBoundMaterial()
        assert str(bound.GetPath()) == f"/World/m/Looks/material_{i}"
    written = np.asarray(Image.open(tmp_path / "two_textures" / "material_1_diffuse.png"))
    assert np.array_equal(written, (texture * 255).round().numpy().astype(np.uint8))
    back = kal.io.usd.import_mesh(str(path), with_materials=True)
    assert [m.material_name for m in back.materials] == ["/World/m/Looks/material_0", "/World/m/Looks/material_1"]
    assert back.material_assignments.tolist() == [1, 0]
    assert torch.equal(back.materials[0].diffuse_color, torch.tensor([1.0, 0, 0]))
    assert torch.allclose(back.materials[1].diffuse_texture, texture)  # (H, W, 3), as Kaolin reads it


def test_surface_found_through_any_output_and_packed_roughness_metallic(tmp_path):
    pixels = np.array([[[10, 20, 30], [40, 50, 60]]], np.uint8)  # (1, 2, 3): r, g, b differ everywhere
    Image.fromarray(pixels).save(tmp_path / "orm.png")
    path = tmp_path / "mdl.usda"
    stage = Usd.Stage.CreateNew(str(path))
    mesh = UsdGeom.Mesh.Define(stage, "/World/m")
    mesh.CreatePointsAttr([(0, 0, 0), (1, 0, 0), (0, 1, 0)])
    mesh.CreateFaceVertexCountsAttr([3])
    mesh.CreateFaceVertexIndicesAttr([0, 1, 2])
    material = UsdShade.Material.Define(stage, "/World/Looks/orm")
    shader = UsdShade.Shader.Define(stage, "/World/Looks/orm/surface")
    shader.CreateIdAttr("UsdPreviewSurface")
    shader.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).Set(Gf.Vec3f(0.5, 0.25, 1.0))
    texture = UsdShade.Shader.Define(stage, "/World/Looks/orm/tex")
    texture.CreateIdAttr("UsdUVTexture")
    texture.CreateInput("file", Sdf.ValueTypeNames.Asset).Set("./orm.png")
    red = texture.CreateOutput("r", Sdf.ValueTypeNames.Float)
    for name in ("roughness", "metallic"):  # both wired to the red output, as Blender writes glTF's packing
        shader.CreateInput(name, Sdf.ValueTypeNames.Float).ConnectToSource(red)
    # only the MDL render context's surface output is connected: the universal one is empty
    material.CreateSurfaceOutput("mdl").ConnectToSource(shader.ConnectableAPI(), "surface")
    UsdShade.MaterialBindingAPI.Apply(mesh.GetPrim()).Bind(material)
    stage.GetRootLayer().Save()
    read = kal.io.usd.import_mesh(str(path), with_materials=True).materials[0]
    assert torch.equal(read.diffuse_color, torch.tensor([0.5, 0.25, 1.0]))
    assert torch.allclose(read.roughness_texture, torch.from_numpy(pixels[..., 1:2] / 255).float())  # green
    assert torch.allclose(read.metallic_texture, torch.from_numpy(pixels[..., 2:3] / 255).float())  # blue
