"""Large textures are shrunk to what renders can use (area averages checked by hand), with a note."""
import pytest
import torch

from kaolin_pipeline.ops.textures import limit_texture_size, shrink_texture
from kaolin_pipeline.structures import Mesh, PBRMaterial


def test_shrink_averages_blocks_and_keeps_small_textures():
    texture = torch.arange(2 * 4 * 8, dtype=torch.float64).reshape(2, 4, 8)
    small = shrink_texture(texture, 4)
    assert small.shape == (2, 2, 4)
    # hand-computed: each output texel is the mean of a 2x2 block
    assert small[0, 0, 0].item() == (0 + 1 + 8 + 9) / 4 and small[1, 1, 3].item() == (54 + 55 + 62 + 63) / 4
    assert shrink_texture(texture, 8) is texture


def test_limit_shrinks_every_texture_once_keeps_sharing_and_reports():
    big = torch.rand(3, 300, 200)
    normals = torch.rand(3, 64, 64)
    mesh = Mesh(vertices=torch.rand(3, 3), faces=torch.tensor([[0, 1, 2]]), texture=big,
                materials=[PBRMaterial(diffuse_texture=big, normals_texture=normals, material_name="wood"),
                           PBRMaterial(diffuse_texture=big)],
                material_assignments=torch.tensor([0]))
    limited, notes = limit_texture_size(mesh, 100)
    assert limited.texture.shape == (3, 100, 66)
    assert limited.materials[0].diffuse_texture is limited.texture is limited.materials[1].diffuse_texture
    assert limited.materials[0].normals_texture is normals
    assert notes == ["diffuse_texture of material 'wood': 200x300 -> 66x100"]
    assert mesh.texture is big  # the input is left as it was
    # adaptive average pooling: output texel (0, 0) covers rows [0, 3) and columns [0, ceil(200 / 66)) = [0, 4)
    torch.testing.assert_close(limited.texture[:, 0, 0], big[:, :3, :4].mean(dim=(1, 2)))


def test_fit_target_with_a_huge_texture_is_shrunk_with_a_note(tmp_path):
    from kaolin_pipeline.io import save_mesh
    from kaolin_pipeline.train.config import load_config
    from kaolin_pipeline.train.fit import prepare_target

    faces = torch.tensor([[0, 1, 2], [0, 2, 3]])
    quad = Mesh(vertices=torch.tensor([[-1.0, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]]), faces=faces,
                uvs=torch.tensor([[0.0, 0], [1, 0], [1, 1], [0, 1]]), face_uvs_idx=faces,
                texture=torch.linspace(0, 1, 3000).reshape(1, 3000, 1).expand(3, 3000, 1800).contiguous())
    save_mesh(tmp_path / "quad.obj", quad)
    config = load_config("fit", overrides={"target": str(tmp_path / "quad.obj"), "views.image_size": 32,
                                           "views.num_views": 1})
    with pytest.warns(UserWarning, match=r"quad\.obj: .*1800x3000 -> 614x1024 \(1024 texels a side are all "
                                         r"that 32-pixel target views can show\)"):
        target = prepare_target(config, torch.device("cpu"))
    assert target.mesh.materials[0].diffuse_texture.shape == (3, 1024, 614)
