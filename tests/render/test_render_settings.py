"""RenderSettings: a preset plus overrides (None keeps) is the one way to the DIB-R renderer and the
anti-aliased views; checked against renderers and render_antialiased called by hand."""
import dataclasses

import pytest
import torch

from kaolin_pipeline.datasets import make_shape
from kaolin_pipeline.errors import ConfigError
from kaolin_pipeline.render import DIBRenderer, RenderSettings, load_preset, preset_cameras, validate_preset
from kaolin_pipeline.render.antialias import render_antialiased
from kaolin_pipeline.train.config import load_config
from kaolin_pipeline.train.views import view_settings

PRESET = {"image_size": [24, 32], "background": [0.25, 0.5, 1.0], "views": {"v": {"azimuth": [0, 90], "elevation": 10}},
          "renderer": {"sigmainv": 3000.0, "boxlen": 0.05, "knum": 12, "shading": "smooth"}}


def test_from_preset_reads_every_renderer_field():
    settings = RenderSettings.from_preset(validate_preset(PRESET))
    assert settings.image_size == (24, 32) and (settings.height, settings.width) == (24, 32)
    assert settings.background == (0.25, 0.5, 1.0)
    assert (settings.sigmainv, settings.boxlen, settings.knum, settings.shading) == (3000.0, 0.05, 12, "smooth")
    assert settings.texture_mode == "bilinear" and not settings.perspective_correct and settings.supersample == 4
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.sigmainv = 1.0


def test_none_keeps_and_values_replace():
    settings = RenderSettings.from_preset(validate_preset(PRESET))
    same = settings.replace({"image_size": None, "sigmainv": None})
    assert same == settings
    changed = settings.replace({"image_size": 16, "sigmainv": 20000, "supersample": 2})
    assert changed.image_size == (16, 16) and changed.sigmainv == 20000.0 and changed.supersample == 2
    assert changed.boxlen == settings.boxlen and changed.background == settings.background


@pytest.mark.parametrize("overrides, message", [
    ({"image_size": 0}, "views.image_size\\[0\\] must be a positive integer, got 0"),
    ({"image_size": "big"}, "views.image_size must be an integer or \\(height, width\\)"),
    ({"sigmainv": -1.0}, "views.sigmainv must be a positive number"),
    ({"shading": "phong"}, "views.shading must be one of flat, smooth"),
    ({"supersample": 1.5}, "views.supersample must be a positive integer"),
    ({"gamma": 2.2}, "views.gamma: not a render setting"),
])
def test_bad_overrides_name_the_key(overrides, message):
    with pytest.raises(ConfigError, match=message):
        RenderSettings().replace(overrides, where="views")


def test_renderer_and_antialiased_views_match_hand_built_ones():
    settings = RenderSettings.from_preset(validate_preset(PRESET)).replace(supersample=2)
    renderer = settings.renderer()
    by_hand = DIBRenderer((24, 32), background=[0.25, 0.5, 1.0], sigmainv=3000.0, boxlen=0.05, knum=12, shading="smooth")
    for name in ("height", "width", "sigmainv", "boxlen", "knum", "shading", "texture_mode", "perspective_correct"):
        assert getattr(renderer, name) == getattr(by_hand, name), name
    assert torch.equal(renderer.background, by_hand.background)
    mesh = make_shape("cube", torch.Generator().manual_seed(0))
    cameras = preset_cameras(validate_preset(PRESET), "v")
    out = settings.render_antialiased(mesh, cameras)
    expected = render_antialiased(mesh, cameras, (24, 32), supersample=2, background=(0.25, 0.5, 1.0), shading="smooth")
    for key in expected:
        assert torch.equal(out[key], expected[key]), key
    assert torch.equal(renderer(mesh, cameras=cameras)["image"], by_hand(mesh, cameras=cameras)["image"])


def test_recipes_read_null_as_keep_and_old_zero_too(tmp_path):
    preset = load_preset("default")
    kept = RenderSettings.from_preset(preset)
    _, fit_settings = view_settings(load_config("fit", overrides=["views.image_size=null"])["views"])  # sigmainv: 720000
    assert fit_settings.image_size == kept.image_size and fit_settings.sigmainv == 720000.0
    _, tutorial = view_settings(load_config("fit", "kaolin-tutorial")["views"])  # sigmainv: null
    assert tutorial.sigmainv == kept.sigmainv
    old = tmp_path / "old.yaml"
    old.write_text("views:\n  image_size: 0\n  sigmainv: 0.0\n")  # "0 keeps", as fit configs once said
    _, from_old = view_settings(load_config("fit", old)["views"])
    assert from_old == dataclasses.replace(kept)
    _, reconstruct = view_settings(load_config("reconstruct", overrides=["views.image_size=32"])["views"])
    assert reconstruct.image_size == (32, 32) and reconstruct.supersample == 2
