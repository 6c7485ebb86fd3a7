"""read_image / write_image / TextureExporter (kal.io.utils), checked with Pillow reading and writing the files."""
import numpy as np
import pytest
import torch
from PIL import Image

from kaolin_pipeline.errors import ConfigError
from kaolin_pipeline.io.images import TextureExporter, read_image, write_image


def test_write_image_layouts_read_back_with_pillow(tmp_path):
    pixels = np.arange(2 * 5 * 3, dtype=np.uint8).reshape(2, 5, 3) * 8
    as_float = torch.from_numpy(pixels).float() / 255.0
    for image in (as_float, torch.from_numpy(pixels).permute(2, 0, 1), as_float.permute(2, 0, 1)[None]):
        write_image(image, tmp_path / "sub" / "a.png")  # the folder is created
        assert np.array_equal(np.asarray(Image.open(tmp_path / "sub" / "a.png")), pixels)
    write_image(torch.tensor([[True, False, True]]), tmp_path / "mask.png")
    assert np.asarray(Image.open(tmp_path / "mask.png")).tolist() == [[255, 0, 255]]


def test_read_image_keeps_the_files_channels(tmp_path):
    rgba = np.zeros((3, 4, 4), dtype=np.uint8)
    rgba[..., 3] = 51
    rgba[0, 0, 0] = 255
    Image.fromarray(rgba).save(tmp_path / "rgba.png")
    read = read_image(tmp_path / "rgba.png")
    assert read.shape == (3, 4, 4) and read.dtype == torch.float32
    assert read[0, 0, 0] == 1.0 and torch.allclose(read[..., 3], torch.full((3, 4), 0.2))
    Image.fromarray(rgba[..., 0]).save(tmp_path / "grey.png")
    assert read_image(tmp_path / "grey.png").shape == (3, 4, 1)


def test_texture_exporter_adds_an_index_unless_overwriting(tmp_path):
    red, blue = torch.zeros(2, 2, 3), torch.zeros(2, 2, 3)
    red[..., 0], blue[..., 2] = 1.0, 1.0
    export = TextureExporter(tmp_path, "textures", file_prefix="m_")
    assert export(red, "diffuse") == "textures/m_diffuse.png"
    assert export(blue, "diffuse") == "textures/m_diffuse_0.png"
    assert export(blue, "diffuse", extension=".jpg") == "textures/m_diffuse.jpg"
    assert np.asarray(Image.open(tmp_path / "textures" / "m_diffuse.png"))[0, 0].tolist() == [255, 0, 0]
    overwrite = TextureExporter(tmp_path, "textures", file_prefix="m_", overwrite_files=True)
    assert overwrite(blue, "diffuse") == "textures/m_diffuse.png"
    assert np.asarray(Image.open(tmp_path / "textures" / "m_diffuse.png"))[0, 0].tolist() == [0, 0, 255]
    with pytest.raises(ConfigError, match="nowhere"):
        TextureExporter(tmp_path / "nowhere")(red, "x")
