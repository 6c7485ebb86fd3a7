"""Timelapse materials: per-iteration PBR values and textures, read back with pxr and PIL directly."""
import numpy as np
import pytest
import torch
from PIL import Image
from pxr import Sdf, Usd

from kaolin_pipeline.errors import SaveError
from kaolin_pipeline.export.timelapse import Timelapse
from kaolin_pipeline.structures import PBRMaterial

FACES = torch.tensor([[0, 1, 2], [0, 2, 3]])
VERTICES = torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
ITERATIONS = (0, 10)


def roughness_at(iteration: int) -> torch.Tensor:
    """(1, 2, 3) texture whose 8-bit values are exact: k / 255."""
    return (torch.arange(6, dtype=torch.float32).reshape(1, 2, 3) + iteration) / 255.0


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("timelapse_materials")
    timelapse = Timelapse(root)
    for it in ITERATIONS:
        values = PBRMaterial(diffuse_color=(0.0, 1.0, it / 20), roughness_value=0.1 + it / 100,
                             metallic_value=1.0, specular_color=(1.0, 0.0, 0.0), is_specular_workflow=True)
        textured = {"roughness_texture": roughness_at(it).permute(1, 2, 0),  # (H, W, C), as Kaolin allows
                    "diffuse_texture": torch.full((3, 2, 3), (it + 1) / 255.0)}
        timelapse.add_mesh_batch(iteration=it, category="c", vertices_list=[VERTICES], faces_list=[FACES],
                                 materials_list=[{"values": values, "textured": textured}])
    return root


def test_values_are_time_samples_of_the_preview_surface(log_dir):
    stage = Usd.Stage.Open(str(log_dir / "c" / "mesh_0.usd"))
    shader = stage.GetPrimAtPath("/mesh_0/values/Shader")
    assert shader.GetAttribute("info:id").Get() == "UsdPreviewSurface"
    for it in ITERATIONS:
        assert tuple(shader.GetAttribute("inputs:diffuseColor").Get(it)) == pytest.approx((0.0, 1.0, it / 20))
        assert shader.GetAttribute("inputs:roughness").Get(it) == pytest.approx(0.1 + it / 100)
        assert shader.GetAttribute("inputs:metallic").Get(it) == pytest.approx(1.0)
        assert tuple(shader.GetAttribute("inputs:specularColor").Get(it)) == pytest.approx((1.0, 0.0, 0.0))
        assert shader.GetAttribute("inputs:useSpecularWorkflow").Get(it) == 1


def test_textures_are_files_per_iteration_read_through_st(log_dir):
    stage = Usd.Stage.Open(str(log_dir / "c" / "mesh_0.usd"))
    surface = stage.GetPrimAtPath("/mesh_0/textured/Shader")
    texture = stage.GetPrimAtPath("/mesh_0/textured/roughness_texture")
    assert surface.GetAttribute("inputs:roughness").GetConnections()[0].GetPrimPath() == texture.GetPath()
    reader = texture.GetAttribute("inputs:st").GetConnections()[0].GetPrimPath()
    assert stage.GetPrimAtPath(reader).GetAttribute("inputs:varname").Get() == "st"
    for it in ITERATIONS:
        path = log_dir / "c" / "textures" / f"mesh_0_textured_{it}_roughness.png"
        assert texture.GetAttribute("inputs:file").Get(it).resolvedPath == str(path)
        expected = (np.arange(6).reshape(2, 3) + it).astype(np.uint8)
        assert np.array_equal(np.asarray(Image.open(path)), expected)
        diffuse = np.asarray(Image.open(log_dir / "c" / "textures" / f"mesh_0_textured_{it}_diffuse.png"))
        assert diffuse.shape == (2, 3, 3) and (diffuse == it + 1).all()


def test_materials_sit_outside_the_variants_which_bind_them(log_dir):
    stage = Usd.Stage.Open(str(log_dir / "c" / "mesh_0.usd"))
    mesh = stage.GetPrimAtPath("/mesh_0")
    variants = mesh.GetVariantSets().GetVariantSet("shadingVariant")
    assert variants.GetVariantNames() == ["textured", "values"]
    for name in ("values", "textured"):
        variants.SetVariantSelection(name)
        assert stage.GetPrimAtPath("/mesh_0/values") and stage.GetPrimAtPath("/mesh_0/textured")
        assert mesh.GetRelationship("material:binding").GetTargets()[0] == f"/mesh_0/{name}"


def test_topology_file_holds_no_material_samples(log_dir):
    layer = Sdf.Layer.FindOrOpen(str(log_dir / "c" / "mesh_0.usd"))
    attribute = layer.GetAttributeAtPath(Sdf.Path("/mesh_0/values/Shader.inputs:diffuseColor"))
    assert attribute is not None and layer.GetNumTimeSamplesForPath(attribute.path) == 0


def test_bad_materials_raise_save_error(tmp_path):
    timelapse = Timelapse(tmp_path)
    with pytest.raises(SaveError, match="does not know"):
        timelapse.add_mesh_batch(vertices_list=[VERTICES], faces_list=[FACES],
                                 materials_list=[{"diffuse_color": (1.0, 0.0, 0.0), "shininess": 3.0}])
    with pytest.raises(SaveError, match="not a PBRMaterial"):
        timelapse.add_mesh_batch(vertices_list=[VERTICES], faces_list=[FACES], materials_list=["red"])
    with pytest.raises(SaveError, match="diffuse_color"):
        timelapse.add_mesh_batch(vertices_list=[VERTICES], faces_list=[FACES],
                                 materials_list=[{"diffuse_color": (1.0, 0.0)}])
