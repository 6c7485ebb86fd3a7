"""export_material / import_material (Kaolin's one-material USD layout), checked by reading and writing the
files with pxr directly and with PIL, values computed by hand."""
import numpy as np
import pytest
import torch
from PIL import Image
from pxr import Sdf, Usd, UsdShade

from kaolin_pipeline.errors import MaterialLoadError
from kaolin_pipeline.io.usd.material_files import export_material, import_material, suggest_material_path
from kaolin_pipeline.structures import PBRMaterial


def _levels(shape, seed):
    """8-bit levels as the readers return them (value times float32 1/255)."""
    return torch.randint(0, 256, shape, generator=torch.Generator().manual_seed(seed)).float() * (1 / 255)


def test_written_layout_read_by_pxr(tmp_path):
    roughness = _levels((1, 4, 6), 1)
    material = PBRMaterial(diffuse_color=(0.25, 0.5, 1.0), ior_value=1.45, opacity_threshold=0.3,
                           roughness_texture=roughness, roughness_colorspace="raw", is_specular_workflow=True)
    path = tmp_path / "looks.usda"
    scene_path, _ = export_material(material, path, "/World/Looks/paint")
    assert scene_path == "/World/Looks/paint"
    stage = Usd.Stage.Open(str(path))
    shader = UsdShade.Shader(stage.GetPrimAtPath("/World/Looks/paint/Shader"))
    assert shader.GetShaderId() == "UsdPreviewSurface"
    assert tuple(shader.GetInput("diffuseColor").Get()) == (0.25, 0.5, 1.0)
    assert shader.GetInput("ior").Get() == pytest.approx(1.45)
    assert shader.GetInput("opacityThreshold").Get() == pytest.approx(0.3)
    assert shader.GetInput("metallic").Get() is None  # declared, without a value
    assert shader.GetInput("useSpecularWorkflow").Get() == 1
    source, output, _ = shader.GetInput("roughness").GetConnectedSource()
    assert source.GetPath() == Sdf.Path("/World/Looks/paint/roughness_texture") and output == "r"
    texture = UsdShade.Shader(source.GetPrim())
    assert texture.GetInput("colorspace").Get() == "raw"
    asset = texture.GetInput("file").Get().path
    assert asset == "textures/paint_roughness.png"
    pixels = np.asarray(Image.open(tmp_path / asset))
    assert pixels.shape == (4, 6) and np.array_equal(pixels, np.round(roughness[0].numpy() * 255).astype(np.uint8))
    surface = UsdShade.Material(stage.GetPrimAtPath(scene_path)).ComputeSurfaceSource()[0]
    assert surface.GetPath() == shader.GetPath()


def test_reads_a_material_authored_with_pxr(tmp_path):
    image = np.zeros((2, 3, 3), dtype=np.uint8)
    image[..., 0], image[..., 1], image[..., 2] = 10, 128, 255  # normal map stores (n + 1) / 2
    Image.fromarray(image).save(tmp_path / "n.png")
    Image.fromarray(np.full((2, 3, 3), [7, 51, 200], dtype=np.uint8)).save(tmp_path / "mr.png")
    stage = Usd.Stage.CreateNew(str(tmp_path / "hand.usda"))
    material = UsdShade.Material.Define(stage, "/Looks/hand")
    shader = UsdShade.Shader.Define(stage, "/Looks/hand/Surface")
    shader.CreateIdAttr("UsdPreviewSurface")
    shader.CreateInput("clearcoat", Sdf.ValueTypeNames.Float).Set(0.75)
    shader.CreateInput("specularColor", Sdf.ValueTypeNames.Color3f).Set((0.1, 0.2, 0.3))
    for name, file, output, value_type in [("normal", "n.png", "rgb", Sdf.ValueTypeNames.Normal3f),
                                           ("metallic", "mr.png", "b", Sdf.ValueTypeNames.Float)]:
        texture = UsdShade.Shader.Define(stage, f"/Looks/hand/{name}_map")
        texture.CreateIdAttr("UsdUVTexture")
        texture.CreateInput("file", Sdf.ValueTypeNames.Asset).Set(file)
        shader.CreateInput(name, value_type).ConnectToSource(texture.CreateOutput(output, value_type))
    material.CreateSurfaceOutput().ConnectToSource(shader.CreateOutput("surface", Sdf.ValueTypeNames.Token))
    stage.Save()

    got = import_material(tmp_path / "hand.usda", "/Looks/hand")
    assert got.material_name == "/Looks/hand"
    assert got.clearcoat_value.tolist() == [0.75] and not got.is_specular_workflow
    torch.testing.assert_close(got.specular_color, torch.tensor([0.1, 0.2, 0.3]))
    assert got.normals_texture.shape == (2, 3, 3)  # (H, W, C), as Kaolin's reader
    torch.testing.assert_close(got.normals_texture[0, 0], torch.tensor([10, 128, 255]) / 255 * 2 - 1)
    assert got.metallic_texture.shape == (2, 3, 1)
    torch.testing.assert_close(got.metallic_texture[1, 2], torch.tensor([200 / 255]))  # the blue channel
    with pytest.raises(MaterialLoadError, match="/Looks/none"):
        import_material(tmp_path / "hand.usda", "/Looks/none")


def test_round_trip_numbering_and_transmittance_warning(tmp_path):
    path = tmp_path / "pair.usda"
    first = PBRMaterial(diffuse_texture=_levels((3, 5, 6), 2), normals_texture=_levels((3, 5, 6), 3) * 2 - 1,
                        diffuse_colorspace="sRGB", metallic_value=0.5)
    with pytest.warns(UserWarning, match="transmittance"):
        scene_path, _ = export_material(PBRMaterial(transmittance_value=0.5), path)
    assert scene_path == "/World/Looks/material"
    assert import_material(path, scene_path).transmittance_value is None
    second, _ = export_material(first, path)
    assert second == "/World/Looks/material_0"
    again, _ = export_material(first, path, texture_file_prefix="material_0_")  # same names: files are numbered
    assert again == "/World/Looks/material_1"
    got = import_material(path, second)
    assert got.diffuse_colorspace == "sRGB" and got.metallic_value.item() == 0.5
    assert torch.equal(got.diffuse_texture, first.diffuse_texture.permute(1, 2, 0))
    torch.testing.assert_close(got.normals_texture, first.normals_texture.permute(1, 2, 0), atol=1e-6, rtol=0)
    files = sorted(p.name for p in (tmp_path / "textures").iterdir())
    assert "material_0_diffuse.png" in files and "material_0_diffuse_0.png" in files
    assert suggest_material_path("my paint!", Usd.Stage.Open(str(path))) == "/World/Looks/my_paint_"
