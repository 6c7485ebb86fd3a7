"""The notebook camera controllers (turntable, first person), checked by hand-placed cameras; quick_viz's grid
by hand-made images; the still image shown without ipyevents."""
import io
import math
import warnings

import numpy as np
import pytest
import torch
from PIL import Image
from scipy.spatial.transform import Rotation

import kaolin_pipeline.kaolin as kal
from kaolin_pipeline.visualize import grid, interactive


def _camera(eye, at=(0.0, 0.0, 0.0), up=(0.0, 1.0, 0.0), fov_degrees=60.0):
    return kal.render.camera.Camera.from_args(eye=torch.tensor(eye), at=torch.tensor(at), up=torch.tensor(up),
                                              fov=math.radians(fov_degrees), width=6, height=4)


class _Render:
    """Counts its calls; red encodes the camera's x (×10)."""

    def __init__(self):
        self.calls = 0

    def __call__(self, camera):
        self.calls += 1
        image = torch.zeros(4, 6, 3, dtype=torch.uint8)
        image[..., 0] = int(camera.cam_pos()[0, 0, 0] * 10) % 256
        return {"img": image, "depth": torch.arange(24.0).reshape(4, 6)}


def _drag(view, dx, dy, buttons=1):
    view._handle_event({"type": "mousedown", "relativeX": 0, "relativeY": 0, "buttons": buttons})
    view._handle_event({"type": "mousemove", "relativeX": dx, "relativeY": dy, "buttons": buttons})


def _pos(camera):
    return camera.cam_pos().reshape(3)


def test_rotate_around_axis_matches_scipy():
    points, axes = torch.randn(5, 3, dtype=torch.float64), torch.randn(5, 3, dtype=torch.float64)
    angles = torch.rand(5, dtype=torch.float64) * 6 - 3
    unit = axes / axes.norm(dim=-1, keepdim=True)
    expected = Rotation.from_rotvec((unit * angles[:, None]).numpy()).apply(points.numpy())
    got = interactive.rotate_around_axis(points, angles, axes)
    assert np.allclose(got.numpy(), expected, atol=1e-12)
    turned = interactive.rotate_around_axis(torch.tensor([[1.0, 0, 0]]), math.pi / 2, torch.tensor([[0, 0, 1.0]]))
    assert torch.allclose(turned, torch.tensor([[0.0, 1, 0]]), atol=1e-6)  # right-hand rule about +z


def test_turntable_orbits_the_focus_point_by_hand():
    camera, render = _camera([0.0, 0.0, 4.0]), _Render()
    view = kal.visualize.IpyTurntableVisualizer(4, 6, camera, render, world_up_axis=1)
    assert render.calls == 0 and torch.allclose(_pos(camera), torch.tensor([0.0, 0, 4]), atol=1e-6)
    view.orbit(d_azimuth=math.pi / 2)  # clockwise seen from +y: +z goes to -x
    assert torch.allclose(_pos(camera), torch.tensor([-4.0, 0, 0]), atol=1e-5) and render.calls == 1
    view.orbit(d_elevation=math.pi / 6)  # raised by 30 degrees at the same distance
    assert torch.allclose(_pos(camera), torch.tensor([-4 * math.cos(math.pi / 6), 2.0, 0]), atol=1e-5)
    forward = camera.cam_forward().reshape(3)  # +z of the camera points away from the focus
    assert torch.allclose(forward, _pos(camera) / 4, atol=1e-5)
    assert abs(float(camera.cam_right().reshape(3)[1])) < 1e-6  # no roll: right stays horizontal
    # dragging a whole canvas width turns rotation_sensitivity × π = 1.5π further clockwise: -x → +z
    view.orbit(d_elevation=-math.pi / 6)
    _drag(view, 6, 0)
    assert torch.allclose(_pos(camera), torch.tensor([0.0, 0, 4]), atol=1e-5) and render.calls == 4
    with pytest.raises(ValueError, match="world_up_axis"):
        kal.visualize.IpyTurntableVisualizer(4, 6, camera, render, world_up_axis=3)


def test_turntable_over_the_pole_flips_up_and_ctrl_wheel_moves_closer():
    camera, render = _camera([0.0, 0.0, 4.0]), _Render()
    view = kal.visualize.IpyTurntableVisualizer(4, 6, camera, render, world_up_axis=1)
    view.orbit(d_elevation=math.radians(120))  # 30 degrees past the top: now above -z, upside down
    assert view.up_sign == -1.0
    assert torch.allclose(_pos(camera), torch.tensor([0.0, 4 * math.sin(math.radians(60)), -2.0]), atol=1e-5)
    assert float(camera.cam_up().reshape(3)[1]) < 0
    view._handle_event({"type": "wheel", "deltaY": 1000 * math.log(0.5), "ctrlKey": True})  # distance halves
    assert math.isclose(float(_pos(camera).norm()), 2.0, rel_tol=1e-5) and math.isclose(float(view.distance), 2.0,
                                                                                        rel_tol=1e-5)


def test_wheel_zooms_through_the_logit_of_the_fov():
    camera, render = _camera([0.0, 0.0, 4.0], fov_degrees=60.0), _Render()
    view = kal.visualize.IpyTurntableVisualizer(4, 6, camera, render)
    aspect = float(camera.fov_x / camera.fov_y)
    view._handle_event({"type": "wheel", "deltaY": 1000 * math.log(2), "ctrlKey": False})
    # logit(60/180) = log(1/2); + log 2 → odds 1 → 90 degrees
    assert math.isclose(float(camera.fov_y), 90.0, rel_tol=1e-5)
    assert math.isclose(float(camera.fov_x / camera.fov_y), aspect, rel_tol=1e-5)
    assert torch.allclose(_pos(camera), torch.tensor([0.0, 0, 4]), atol=1e-5) and render.calls == 1


def test_first_person_turns_in_place_and_moves_with_keys(capsys):
    camera, render, fast = _camera([1.0, 0.0, 0.0], at=[1.0, 0.0, -1.0]), _Render(), _Render()
    view = kal.visualize.IpyFirstPersonVisualizer(4, 6, camera, render, fast_render=fast,
                                                  world_up=torch.tensor([0.0, 1.0, 0.0]))
    # dragging 1.25 canvas widths turns the azimuth by 1.25 × 0.4π = π/2 about +y: right (1,0,0) → (0,0,-1)
    _drag(view, 7.5, 0)
    assert fast.calls == 1 and render.calls == 0
    assert torch.allclose(camera.cam_right().reshape(3), torch.tensor([0.0, 0, -1]), atol=1e-5)
    assert torch.allclose(camera.cam_forward().reshape(3), torch.tensor([1.0, 0, 0]), atol=1e-5)  # looks at -x
    assert torch.allclose(_pos(camera), torch.tensor([1.0, 0, 0]), atol=1e-5)
    view._handle_event({"type": "mouseup", "button": 0, "relativeX": 5, "relativeY": 3,
                        "boundingRectWidth": 6, "boundingRectHeight": 4})
    assert render.calls == 1 and "depth: 23.0" in capsys.readouterr().out  # pixel (x 5, y 3) of the render
    view._handle_event({"type": "keydown", "key": "o"})  # forward: along the view direction, -x
    assert torch.allclose(_pos(camera), torch.tensor([0.95, 0, 0]), atol=1e-5) and fast.calls == 2
    view._handle_event({"type": "keyup", "key": "o"})
    view._handle_event({"type": "keydown", "key": "i"})  # up
    assert torch.allclose(_pos(camera), torch.tensor([0.95, 0.05, 0]), atol=1e-5) and render.calls == 2
    _drag(view, 0, -100)  # dragging up looks down, clamped at the nadir
    assert math.isclose(float(view.elevation), -math.pi / 2, rel_tol=1e-6)
    assert torch.allclose(camera.cam_forward().reshape(3), torch.tensor([0.0, 1, 0]), atol=1e-5)


def test_first_person_stands_a_tilted_camera_upright_on_world_up():
    down = math.radians(30)  # looking along -z, 30 degrees down, rolled by a tilted up hint
    camera = _camera([0.0, 0, 0], at=[0.0, -math.sin(down), -math.cos(down)], up=[0.5, 1.0, 0])
    view = kal.visualize.IpyFirstPersonVisualizer(4, 6, camera, _Render(), world_up=torch.tensor([0.0, 1, 0]))
    assert math.isclose(float(view.elevation), -down, rel_tol=1e-5)  # negative: looking down
    assert torch.allclose(camera.cam_right().reshape(3), torch.tensor([1.0, 0, 0]), atol=1e-6)  # no roll left
    assert torch.allclose(camera.cam_forward().reshape(3), torch.tensor([0.0, math.sin(down), math.cos(down)]),
                          atol=1e-6)


def test_additional_handler_can_swallow_events():
    seen = []

    def handler(visualizer, event):
        seen.append(event["type"])
        return event["type"] != "wheel"

    camera, render = _camera([0.0, 0.0, 4.0]), _Render()
    view = kal.visualize.IpyTurntableVisualizer(4, 6, camera, render, additional_event_handler=handler,
                                                update_only_on_release=True)
    fov = float(camera.fov_y)
    view._handle_event({"type": "wheel", "deltaY": 500.0, "ctrlKey": False})
    _drag(view, 3, 0)
    assert seen == ["wheel", "mousedown", "mousemove"] and float(camera.fov_y) == fov and render.calls == 0


def test_without_a_front_end_show_displays_a_still_image(monkeypatch):
    monkeypatch.setattr(interactive, "widgets_available", lambda *modules: False)
    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    camera = _camera([2.0, 0.0, 0.0])
    view = kal.visualize.IpyTurntableVisualizer(4, 6, camera, _Render(), world_up_axis=1)
    with view.out:  # the tutorials write into it; a no-op context without widgets
        still = view.show()
    assert shown == [still] and view.canvas.widget is None
    pixels = np.asarray(Image.open(io.BytesIO(still.data)))
    assert pixels.shape == (4, 6, 3) and (pixels[..., 0] == 20).all() and (pixels[..., 1:] == 0).all()
    assert view._repr_png_() == still.data
    float_image = interactive.encode_image(torch.full((2, 2, 3), 0.5))
    assert (np.asarray(Image.open(io.BytesIO(float_image))) == 128).all()


def test_the_canvas_goes_into_the_users_own_widget_layout():
    ipywidgets = pytest.importorskip("ipywidgets")
    camera = _camera([2.0, 0.0, 0.0])
    view = kal.visualize.IpyTurntableVisualizer(4, 6, camera, _Render(), world_up_axis=1, img_format="PNG")
    box = ipywidgets.HBox([view.canvas, ipywidgets.FloatSlider()])  # Kaolin's gltf_viz layout
    assert box.children[0] is view.canvas and view.canvas.widget is view.canvas
    assert (view.canvas.height, view.canvas.width) == (4, 6) and view._repr_png_() is None
    view.render_update()
    pixels = np.asarray(Image.open(io.BytesIO(view.canvas.value)))
    assert pixels.shape == (4, 6, 3) and (pixels[..., 0] == 20).all() and view._repr_png_() == view.canvas.value
    assert view.canvas.layout.width == "6px" and view.canvas.layout.height == "4px"


def test_image_grid_and_quick_viz():
    imgs = torch.stack([torch.full((1, 2, 3), v) for v in (0.1, 0.2, 0.3)])  # (3, 1, 2, 3)
    tiled = grid.image_grid(imgs, nrow=2)
    assert tiled.shape == (4, 6, 3)
    assert (tiled[:2, :3] == 0.1).all() and (tiled[:2, 3:] == 0.2).all() and (tiled[2:, :3] == 0.3).all()
    assert (tiled[2:, 3:] == 0).all()
    axes = kal.visualize.ipython.quick_viz(imgs, nrow=2, inches=3)
    assert tuple(axes.figure.get_size_inches()) == (6.0, 4.0)  # 6 inches wide, grid aspect 4:6
    import matplotlib.pyplot as plt
    plt.close(axes.figure)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert kal.visualize.ipython.quick_viz(torch.rand(2, 5, 4, 4)) is None
    assert len(caught) == 1 and issubclass(caught[0].category, UserWarning)
