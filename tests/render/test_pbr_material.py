"""PBRMaterial's full UsdPreviewSurface field set and Kaolin's conversions (hwc/chw, contiguous, as_dict,
to_string), against hand-made tensors and Kaolin's documented names."""
import pytest
import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.structures import Material, PBRMaterial
from kaolin_pipeline.testing import random_material_colorspaces, random_material_textures, random_material_values

# Kaolin 0.18's documented PBRMaterial tensor fields, written out by hand
KAOLIN_VALUES = ["diffuse_color", "roughness_value", "metallic_value", "clearcoat_value", "clearcoat_roughness_value",
                 "opacity_value", "opacity_threshold", "ior_value", "specular_color", "displacement_value",
                 "transmittance_value"]
KAOLIN_TEXTURES = ["diffuse_texture", "roughness_texture", "metallic_texture", "clearcoat_texture",
                   "clearcoat_roughness_texture", "opacity_texture", "ior_texture", "specular_texture",
                   "normals_texture", "displacement_texture", "transmittance_texture"]


def test_supported_attributes_are_kaolins():
    assert PBRMaterial.supported_texture_attributes() == KAOLIN_TEXTURES
    assert sorted(PBRMaterial.supported_tensor_attributes()) == sorted(KAOLIN_VALUES + KAOLIN_TEXTURES)


def test_values_become_1d_float_tensors_and_bad_input_is_refused():
    material = PBRMaterial(specular_color=0.25, ior_value=1.5, clearcoat_value=[0.5])
    assert material.specular_color.tolist() == [0.25, 0.25, 0.25]
    assert material.ior_value.shape == (1,) and material.ior_value.item() == 1.5
    assert material.clearcoat_value.dtype == torch.float32
    with pytest.raises(PipelineError, match="diffuse_color"):
        PBRMaterial(diffuse_color=(0.1, 0.2))
    with pytest.raises(PipelineError, match="roughness_colorspace"):
        PBRMaterial(roughness_colorspace="sRGB")
    with pytest.raises(PipelineError, match="ior_texture"):
        PBRMaterial(ior_texture=torch.rand(4, 4))
    assert PBRMaterial(diffuse_colorspace="sRGB").diffuse_colorspace == "sRGB"


def test_hwc_and_chw_move_the_channel_axis():
    texture = torch.arange(2 * 3 * 4, dtype=torch.float32).reshape(3, 2, 4)  # (C, H, W)
    material = PBRMaterial(diffuse_texture=texture, roughness_texture=texture[:1], diffuse_color=(1, 0, 0))
    hwc = material.hwc()
    assert hwc.diffuse_texture.shape == (2, 4, 3) and hwc.roughness_texture.shape == (2, 4, 1)
    for c, h, w in [(0, 0, 0), (2, 1, 3), (1, 0, 2)]:
        assert hwc.diffuse_texture[h, w, c] == texture[c, h, w]
    assert torch.equal(hwc.chw().diffuse_texture, texture)
    assert material.diffuse_texture.shape == (3, 2, 4)  # the original is left as it was
    assert torch.equal(hwc.diffuse_color, material.diffuse_color)
    # a first size other than 1, 3, 4 is taken to be channels-last already (Kaolin's rule)
    wide = PBRMaterial(diffuse_texture=torch.rand(5, 6, 3))
    assert wide.hwc().diffuse_texture.shape == (5, 6, 3)


def test_contiguous_copies_strided_textures():
    base = torch.rand(8, 8, 3)
    strided = base[::2]
    material = PBRMaterial(diffuse_texture=strided, metallic_value=0.3)
    result = material.contiguous()
    assert not strided.is_contiguous() and result.diffuse_texture.is_contiguous()
    assert torch.equal(result.diffuse_texture, base[[0, 2, 4, 6]])
    assert result.metallic_value.item() == pytest.approx(0.3)


def test_as_dict_round_trips_through_material_from_dict():
    material = PBRMaterial(diffuse_color=(0.8, 0.2, 0.3), transmittance_value=0.4,
                           displacement_texture=torch.rand(1, 4, 4), ior_colorspace="raw", material_name="glass")
    fields = material.as_dict()
    assert fields["classname"] == "pbr" and fields["material_name"] == "glass"
    assert "metallic_value" not in fields
    assert Material.from_dict(fields) == material
    assert PBRMaterial.from_dict({k: v for k, v in fields.items() if k != "classname"}) == material
    with pytest.raises(PipelineError, match="classname"):
        Material.from_dict({"classname": "toon"})


def test_to_string_lists_what_is_set():
    material = PBRMaterial(diffuse_color=(0.5, 0.5, 0.5), ior_texture=torch.zeros(1, 2, 2),
                           ior_colorspace="raw", material_name="princess")
    text = material.to_string(print_stats=True)
    lines = text.splitlines()
    assert lines[0] == "PBRMaterial object with"
    assert any(line.strip() == "material_name: princess" for line in lines)
    ior = next(line for line in lines if line.strip().startswith("ior_texture:"))
    assert "[1, 2, 2]" in ior and "max 0.0000" in ior
    assert any(line.strip() == "ior_colorspace: raw" for line in lines)
    assert " metallic_value:" not in text and "diffuse_colorspace" not in text  # unset / 'auto'
    assert str(material) == material.to_string()


def test_random_materials_build_valid_materials():
    values = random_material_values("cpu")
    assert values["diffuse_color"].shape == (3,) and values["ior_value"].shape == (1,)
    assert all(0 <= float(v.min()) and float(v.max()) < 1 for k, v in values.items() if torch.is_tensor(v))
    material = PBRMaterial(**values, **random_material_textures(size=8), **random_material_colorspaces())
    assert material.is_specular_workflow
    assert material.normals_texture.shape == (8, 8, 3) and material.ior_texture.shape == (8, 8, 1)
    assert set(material.get_attributes(only_tensors=True)) == set(KAOLIN_VALUES + KAOLIN_TEXTURES)
