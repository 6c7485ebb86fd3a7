"""Models: shapes, parameter groups, gradients and the icosphere template."""
import numpy as np
import pytest
import torch

from kaolin_pipeline.errors import ConfigError
from kaolin_pipeline.ops.mesh import mesh_edges, uniform_laplacian
from kaolin_pipeline.train.models import MeshFitModel, ReconstructionNet
from kaolin_pipeline.ops.icosphere import icosphere, sphere_uvs
from kaolin_pipeline.ops.smoothing import smoothing_matrix


def test_icosphere_has_kaolins_642_vertices_on_the_unit_sphere():
    vertices, faces = icosphere(3)
    assert vertices.shape == (642, 3) and faces.shape == (1280, 3)
    assert torch.allclose(vertices.norm(dim=1), torch.ones(642), atol=1e-6)
    # closed surface: Euler characteristic V - E + F = 2
    assert 642 - mesh_edges(faces).shape[0] + 1280 == 2
    # outward orientation: the signed volume is positive (4/3 pi r^3 for a fine sphere)
    a, b, c = (vertices[faces[:, k]].double() for k in range(3))
    volume = (a * torch.cross(b, c, dim=1)).sum() / 6
    assert 4.0 < volume.item() < 4 * np.pi / 3


def test_sphere_uvs_follow_longitude_and_latitude_without_seam_wrap():
    vertices, faces = icosphere(2)
    uvs, face_uvs_idx = sphere_uvs(vertices, faces)
    assert uvs.shape == (3 * faces.shape[0], 2) and face_uvs_idx.shape == faces.shape
    assert float(uvs.min()) >= 0.0 and float(uvs.max()) <= 1.0
    corner_uv = uvs[face_uvs_idx]  # (F, 3, 2)
    # v is the latitude: top pole vertex -> 1, equator -> 0.5
    corner_xyz = vertices[faces]
    assert torch.allclose(corner_uv[..., 1], torch.asin(corner_xyz[..., 1]) / np.pi + 0.5, atol=1e-5)
    # no face spans more than a small part of the texture horizontally (the seam is unwrapped)
    span = corner_uv[..., 0].max(dim=1).values - corner_uv[..., 0].min(dim=1).values
    assert float(span.max()) < 0.25


def test_mesh_fit_model_starts_at_the_template():
    template = torch.randn(10, 3)
    model = MeshFitModel(template, color="texture", texture_resolution=8)
    vertices, texture = model()
    assert vertices.shape == (1, 10, 3) and torch.equal(vertices[0], template)
    assert texture.shape == (1, 3, 8, 8)
    assert model.appearance_parameters() == [model.texture]
    colored = MeshFitModel(template, color="vertex_colors")
    assert colored()[1].shape == (1, 10, 3) and colored.texture is None
    with pytest.raises(ConfigError, match="template.color"):
        MeshFitModel(template, color="plaid")


@pytest.mark.parametrize("norm", ["batch", "group", "none"])
def test_reconstruction_net_shapes_and_gradients(norm):
    template, _ = icosphere(1)
    torch.manual_seed(0)
    net = ReconstructionNet(template, image_size=32, channels=(8, 16, 32), hidden=64, norm=norm)
    images = torch.rand(3, 4, 32, 32)
    vertices, colors = net(images)
    colors_value = colors.detach()
    assert vertices.shape == (3, 42, 3) and colors.shape == (3, 42, 3)
    assert float(colors_value.min()) > 0.0 and float(colors_value.max()) < 1.0
    # offsets start small: the prediction is close to the template
    assert float((vertices.detach() - template).abs().max()) < 0.1
    (vertices.sum() + colors.sum()).backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in net.parameters())
    first_conv = net.encoder[0]
    assert first_conv.kernel_size == (5, 5) and first_conv.stride == (2, 2) and first_conv.in_channels == 4


def test_reconstruction_net_default_is_the_paper_architecture():
    template, _ = icosphere(3)
    net = ReconstructionNet(template)
    convs = [m for m in net.encoder if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64, 128, 256]
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in net.encoder)
    assert net.fc[0].out_features == 1024 and net.offset_head.out_features == 642 * 3
    with pytest.raises(ConfigError, match="image_size"):
        ReconstructionNet(template, image_size=30)
    with pytest.raises(ConfigError, match=r"\(B, 4, 64, 64\)"):
        net(torch.rand(1, 3, 64, 64))


def test_reconstruction_net_smoothing_maps_the_predicted_offsets():
    template, faces = icosphere(1)
    smoothing = smoothing_matrix(uniform_laplacian(template.shape[0], faces), 10.0)
    torch.manual_seed(0)
    plain = ReconstructionNet(template, image_size=16, channels=(4, 8), hidden=16, norm="none")
    smooth = ReconstructionNet(template, image_size=16, channels=(4, 8), hidden=16, norm="none", smoothing=smoothing)
    smooth.load_state_dict(plain.state_dict())  # the matrix is not part of the weights
    assert "smoothing" not in smooth.state_dict()
    images = torch.rand(2, 4, 16, 16)
    offsets = plain(images)[0] - template                                           # (B, V, 3)
    expected = template.double() + torch.einsum("uv,bvc->buc", smoothing.double(), offsets.double())
    assert torch.allclose(smooth(images)[0].double(), expected, atol=1e-5)
