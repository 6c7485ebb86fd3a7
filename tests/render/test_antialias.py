import torch

from kaolin_pipeline.datasets import make_shape
from kaolin_pipeline.render import DIBRenderer, look_at_cameras
from kaolin_pipeline.render.antialias import render_antialiased
from kaolin_pipeline.errors import RenderError
import pytest


def _scene():
    mesh = make_shape("cube", torch.Generator().manual_seed(0))
    cameras = look_at_cameras([0.0, 75.0, 200.0], [10.0, 30.0, -20.0], 3.0, fovy=40.0)
    return mesh, cameras


def test_box_filter_equals_hand_averaged_hard_raster():
    mesh, cameras = _scene()
    out = render_antialiased(mesh, cameras, 16, supersample=4, background=(0.2, 0.4, 0.6))
    dense = DIBRenderer(64, background=(0.2, 0.4, 0.6), shading="smooth")(mesh, cameras=cameras, soft_mask=False)
    # Average every 4x4 block by hand: (N, 16, 4, 16, 4, C) -> mean over the two block axes.
    blocks = dense["image"].reshape(3, 16, 4, 16, 4, 3).mean(dim=(2, 4))
    coverage = (dense["face_idx"] >= 0).float().reshape(3, 16, 4, 16, 4).mean(dim=(2, 4))
    torch.testing.assert_close(out["image"], blocks)
    torch.testing.assert_close(out["alpha"], coverage)
    # Edges are partly covered: anti-aliasing shows as alpha strictly between 0 and 1.
    assert ((out["alpha"] > 0) & (out["alpha"] < 1)).any()


def test_centre_samples_match_a_plain_render():
    mesh, cameras = _scene()
    out = render_antialiased(mesh, cameras, 16, supersample=2)
    plain = DIBRenderer(16, shading="smooth")(mesh, cameras=cameras, soft_mask=False)
    assert torch.equal(out["face_idx"], plain["face_idx"])
    torch.testing.assert_close(out["depth"], plain["depth"])
    assert (out["depth"][out["face_idx"] < 0] == 0).all()


def test_depth_is_the_distance_along_the_view_axis():
    # make_shape scales a cube so its corners lie on the unit sphere: half-side 1/sqrt(3).
    # Seen head-on from 3 units, its front face is at depth 3 - 1/sqrt(3).
    mesh = make_shape("cube", torch.Generator().manual_seed(0), extents=[1.0, 1.0, 1.0], rotation=torch.eye(3), scale=1.0)
    out = render_antialiased(mesh, look_at_cameras(0.0, 0.0, 3.0, fovy=30.0), 9, supersample=1)
    torch.testing.assert_close(out["depth"][0, 4, 4], torch.tensor(3.0 - 3.0 ** -0.5))


def test_views_split_into_passes_give_the_same_pictures(monkeypatch):
    mesh, cameras = _scene()
    whole = render_antialiased(mesh, cameras, 8, supersample=2)
    monkeypatch.setattr("kaolin_pipeline.render.antialias.PIXELS_PER_PASS", 8 * 8 * 4)
    split = render_antialiased(mesh, cameras, 8, supersample=2)
    for key in whole:
        torch.testing.assert_close(whole[key], split[key])


def test_supersample_must_be_positive():
    mesh, cameras = _scene()
    with pytest.raises(RenderError, match="supersample"):
        render_antialiased(mesh, cameras, 8, supersample=0)
