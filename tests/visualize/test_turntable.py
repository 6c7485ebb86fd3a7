"""The turntable visualizer: orbit geometry by hand, and the still image shown without ipyevents."""
import io
import math

import numpy as np
import pytest
import torch
from PIL import Image

import kaolin_pipeline.kaolin as kal
from kaolin_pipeline.visualize import turntable


class _Extrinsics:
    def __init__(self, eye):
        self.eye = eye

    @classmethod
    def from_lookat(cls, eye, at, up, dtype, device):
        made = cls(eye)
        made.at, made.up = at, up
        return made


class _Camera:
    """Only what the turntable uses of Kaolin's Camera."""

    device, dtype = torch.device("cpu"), torch.float32

    def __init__(self, eye):
        self.extrinsics = _Extrinsics(torch.tensor(eye, dtype=torch.float32))

    def cam_pos(self):
        return self.extrinsics.eye.reshape(1, 3, 1)


def _render(camera):
    image = torch.zeros(4, 6, 3, dtype=torch.uint8)
    image[..., 0] = int(camera.cam_pos()[0, 0, 0] * 10) % 256  # red encodes the camera's x
    return {"img": image}


def test_orbit_turns_about_the_up_axis_at_the_same_distance(monkeypatch):
    monkeypatch.setattr(turntable, "widgets_available", lambda *modules: False)
    camera = _Camera([0.0, 0.0, 4.0])
    view = kal.visualize.IpyTurntableVisualizer(4, 6, camera, _render, world_up_axis=1)
    view.orbit(d_azimuth=math.pi / 2)
    assert torch.allclose(camera.extrinsics.eye, torch.tensor([4.0, 0, 0]), atol=1e-5)  # z → x about +y
    assert camera.extrinsics.up.tolist() == [0, 1, 0] and camera.extrinsics.at.tolist() == [0, 0, 0]
    view.orbit(d_elevation=math.pi / 6)
    assert torch.allclose(camera.extrinsics.eye, torch.tensor([4 * math.cos(math.pi / 6), 2.0, 0]), atol=1e-5)
    view.zoom(1000 * math.log(2))  # distance halves
    assert math.isclose(float(camera.extrinsics.eye.norm()), 2.0, rel_tol=1e-5)
    with pytest.raises(ValueError, match="world_up_axis"):
        kal.visualize.IpyTurntableVisualizer(4, 6, camera, _render, world_up_axis=3)


def test_without_a_front_end_show_displays_a_still_image(monkeypatch):
    monkeypatch.setattr(turntable, "widgets_available", lambda *modules: False)
    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    camera = _Camera([2.0, 0.0, 0.0])
    view = kal.visualize.IpyTurntableVisualizer(4, 6, camera, _render, world_up_axis=1)
    with view.out:  # the tutorials write into it; a no-op context without widgets
        still = view.show()
    assert shown == [still]
    pixels = np.asarray(Image.open(io.BytesIO(still.data)))
    assert pixels.shape == (4, 6, 3) and (pixels[..., 0] == 20).all() and (pixels[..., 1:] == 0).all()
    assert view._repr_png_() == still.data
    float_image = turntable.encode_image(torch.full((2, 2, 3), 0.5))
    assert (np.asarray(Image.open(io.BytesIO(float_image))) == 128).all()
