"""Gaussian splats in PLY (io.gaussian_ply) and their container (splats.GaussianSplatModel): files written by hand
are read with values worked out by hand, and written files are parsed here with NumPy alone."""
import math

import numpy as np
import pytest
import torch

from kaolin_pipeline.errors import MissingFileError, OutputExistsError, PipelineError
from kaolin_pipeline.io.gaussian_ply import export_gaussiancloud, import_gaussiancloud
from kaolin_pipeline.splats import GaussianSplatModel

# Two splats of SH degree 1 (f_rest holds 3 channels x 3 coefficients), written in an unusual property order:
# foo_1 before foo_0, f_rest_8 first, an unnumbered "confidence" that must be ignored.
ASCII_PLY = """ply
format ascii 1.0
comment written by hand for this test
element vertex 2
property float f_rest_8
property float x
property float y
property float z
property float f_dc_0
property float f_dc_1
property float f_dc_2
property float f_rest_0
property float f_rest_1
property float f_rest_2
property float f_rest_3
property float f_rest_4
property float f_rest_5
property float f_rest_6
property float f_rest_7
property float opacity
property float scale_0
property float scale_1
property float scale_2
property float rot_0
property float rot_1
property float rot_2
property float rot_3
property float foo_1
property float foo_0
property float confidence
end_header
18 1 2 3 0.5 0.25 0.125 10 11 12 13 14 15 16 17 0 0 0.6931472 0 2 0 0 0 7 6 99
28 4 5 6 1 2 3 20 21 22 23 24 25 26 27 1.0986123 0 0 -0.6931472 0 0 0 3 9 8 99
"""


def _model(n=3, degree=1, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return dict(positions=torch.rand(n, 3, generator=generator),
                orientations=torch.nn.functional.normalize(torch.randn(n, 4, generator=generator)),
                scales=torch.rand(n, 3, generator=generator) + 0.1,
                opacities=torch.rand(n, generator=generator) * 0.8 + 0.1,
                sh_coeff=torch.randn(n, (degree + 1) ** 2, 3, generator=generator))


def _parse_binary_ply(path):
    """(property names, (N, P) float32 values) of a binary little-endian PLY of one float vertex element."""
    blob = path.read_bytes()
    header, body = blob.split(b"end_header\n", 1)
    lines = header.decode().splitlines()
    assert lines[:2] == ["ply", "format binary_little_endian 1.0"]
    n = int(lines[2].split()[2])
    names = [line.split()[2] for line in lines[3:]]
    assert all(line.startswith("property float ") for line in lines[3:])
    return names, np.frombuffer(body, dtype="<f4").reshape(n, len(names))


def test_hand_written_file_reads_with_activations(tmp_path):
    path = tmp_path / "splats.ply"
    path.write_text(ASCII_PLY)
    splats = import_gaussiancloud(path)
    assert isinstance(splats, GaussianSplatModel) and len(splats) == 2 and splats.sh_degree == 1
    assert torch.equal(splats.positions, torch.tensor([[1.0, 2, 3], [4, 5, 6]]))
    # f_rest_<c * 3 + k> is coefficient 1 + k of channel c
    expected_sh = torch.tensor([[[0.5, 0.25, 0.125], [10, 13, 16], [11, 14, 17], [12, 15, 18]],
                                [[1, 2, 3], [20, 23, 26], [21, 24, 27], [22, 25, 28]]])
    assert torch.equal(splats.sh_coeff, expected_sh)
    # sigmoid(0) = 1/2, sigmoid(ln 3) = 3/4; exp(ln 2) = 2, exp(-ln 2) = 1/2; (2, 0, 0, 0) -> (1, 0, 0, 0)
    assert torch.allclose(splats.opacities, torch.tensor([0.5, 0.75]))
    assert torch.allclose(splats.scales, torch.tensor([[1.0, 2.0, 1.0], [1.0, 1.0, 0.5]]))
    assert torch.allclose(splats.orientations, torch.tensor([[1.0, 0, 0, 0], [0, 0, 0, 1]]))
    assert list(splats.features) == ["foo"]  # "confidence" has no _<int> suffix
    assert torch.equal(splats.features["foo"], torch.tensor([[6.0, 7.0], [8.0, 9.0]]))  # columns by suffix
    assert splats.positions.dtype == torch.float32 and splats.check_sanity()


def test_raw_values_without_activations(tmp_path):
    path = tmp_path / "splats.ply"
    path.write_text(ASCII_PLY)
    raw = import_gaussiancloud(path, apply_activations=False)
    assert torch.allclose(raw.opacities, torch.tensor([0.0, math.log(3)]))
    assert torch.allclose(raw.scales[:, 1], torch.tensor([math.log(2), 0.0]))
    halved = import_gaussiancloud(path, scale_activation=lambda s: s / 2)
    assert torch.allclose(halved.scales[:, 1], torch.tensor([math.log(2) / 2, 0.0]))


def test_written_file_has_the_3dgs_layout(tmp_path):
    model = _model(n=2, degree=1)
    model["opacities"] = torch.tensor([0.75, 0.5])
    model["scales"] = torch.tensor([[1.0, 2.0, 0.5], [1.0, 1.0, 1.0]])
    path = tmp_path / "out.ply"
    export_gaussiancloud(path, **model, features={"albedo": torch.tensor([[1.0, 2.0], [3.0, 4.0]])})
    names, values = _parse_binary_ply(path)
    assert names == ["x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2",
                     *(f"f_rest_{i}" for i in range(9)), "opacity", "scale_0", "scale_1", "scale_2",
                     "rot_0", "rot_1", "rot_2", "rot_3", "albedo_0", "albedo_1"]
    column = {name: values[:, i] for i, name in enumerate(names)}
    sh = model["sh_coeff"].numpy()
    assert np.allclose(column["f_rest_5"], sh[:, 3, 1])  # channel 1, coefficient 1 + 2
    assert np.allclose(column["f_dc_2"], sh[:, 0, 2])
    assert np.allclose(column["opacity"], [math.log(3), 0.0], atol=1e-6)  # logit(3/4) = ln 3
    assert np.allclose(column["scale_1"], [math.log(2), 0.0]) and np.allclose(column["nx"], 0)
    assert np.allclose(column["albedo_1"], [2.0, 4.0])


def test_round_trip(tmp_path):
    model = _model(n=5, degree=3, seed=1)
    features = {"my_extra_feat": torch.randn(5, 3)}
    export_gaussiancloud(tmp_path / "a.ply", **model, features=features)
    back = import_gaussiancloud(tmp_path / "a.ply")
    for name, value in model.items():
        assert torch.allclose(getattr(back, name), value, atol=1e-5), name
    assert torch.allclose(back.features["my_extra_feat"], features["my_extra_feat"])
    assert import_gaussiancloud(tmp_path / "a.ply").sh_degree == 3


def test_refuses_to_overwrite_and_bad_features(tmp_path):
    path = tmp_path / "a.ply"
    export_gaussiancloud(path, **_model())
    with pytest.raises(RuntimeError, match="overwrite=True") as caught:
        export_gaussiancloud(path, **_model())
    assert isinstance(caught.value, OutputExistsError)
    export_gaussiancloud(path, **_model(seed=2), overwrite=True)
    assert torch.allclose(import_gaussiancloud(path).positions, _model(seed=2)["positions"])
    bad = [[torch.zeros(3, 2)], {1: torch.zeros(3, 2)}, {"rot_extra": torch.zeros(3, 2)}, {"x": torch.zeros(3, 1)},
           {"m": np.zeros((3, 2))}, {"m": torch.zeros(3)}, {"m": torch.zeros(2, 2)}]
    for features in bad:
        with pytest.raises(ValueError, match="features"):
            export_gaussiancloud(path, **_model(), features=features, overwrite=True)
    with pytest.raises(ValueError, match="sh_degree 2 needs 9"):
        export_gaussiancloud(path, **_model(), sh_degree=2, overwrite=True)


def test_bad_files(tmp_path):
    with pytest.raises(MissingFileError):
        import_gaussiancloud(tmp_path / "none.ply")
    path = tmp_path / "bad.ply"
    path.write_text(ASCII_PLY.replace("property float f_rest_8\n", "").replace("18 1 2", "1 2")
                    .replace("28 4 5", "4 5"))
    with pytest.raises(PipelineError, match="8 f_rest_"):
        import_gaussiancloud(path)
    path.write_text(ASCII_PLY.replace("property float opacity\n", "property float opacityx\n"))
    with pytest.raises(PipelineError, match="opacity"):
        import_gaussiancloud(path)


def test_container_checks_shapes_and_degree():
    model = _model(n=4, degree=2)
    splats = GaussianSplatModel(**model)
    assert splats.sh_degree == 2 and len(splats) == 4
    assert torch.allclose(splats.orientations.norm(dim=1), torch.ones(4))
    assert GaussianSplatModel.compute_sh_degree(16) == 3 and GaussianSplatModel.compute_num_sh_coeff(3) == 16
    with pytest.raises(ValueError, match="15 coefficients"):
        GaussianSplatModel.compute_sh_degree(15)
    assert set(splats.as_dict(only_tensors=True)) == {"positions", "orientations", "scales", "opacities", "sh_coeff"}
    for name, wrong in [("scales", torch.ones(4, 2)), ("opacities", torch.ones(4, 1)), ("positions", torch.ones(3, 3)),
                        ("features", {"a": torch.ones(3, 2)}), ("transform", torch.eye(3))]:
        with pytest.raises(ValueError, match="invalid attributes"):
            GaussianSplatModel(**{**model, name: wrong})
        assert not GaussianSplatModel(**{**model, name: wrong}, strict_checks=False).check_sanity(log_error=False)
    with pytest.raises(ValueError, match="invalid attributes"):
        GaussianSplatModel(**model, sh_degree=1)
    kept = GaussianSplatModel(**model, features=torch.ones(4, 7), transform=torch.eye(4)[None])
    assert kept.check_sanity() and kept.to(torch.float64).positions.dtype == torch.float64
