"""Config loading: defaults, YAML files, key=value overrides, refusal of unknown keys."""
import pytest
import yaml

from kaolin_pipeline.errors import ConfigError
from kaolin_pipeline.train.config import default_config, load_config, parse_overrides, save_config


def test_overrides_are_parsed_as_yaml_and_typed_like_defaults():
    config = load_config("fit", overrides=["optim.lr_texture=0.01", "steps=7", "template.scale=1", "name=abc"])
    assert config["optim"]["lr_texture"] == 0.01
    assert config["steps"] == 7 and isinstance(config["steps"], int)
    assert config["template"]["scale"] == 1.0 and isinstance(config["template"]["scale"], float)
    assert config["name"] == "abc"
    # untouched keys keep their defaults
    assert config["optim"]["lr_vertices"] == default_config("fit")["optim"]["lr_vertices"]


def test_mistyped_key_is_refused_with_a_suggestion():
    with pytest.raises(ConfigError, match=r"optim\.lr_textur'.*did you mean 'optim\.lr_texture'"):
        load_config("fit", overrides=["optim.lr_textur=0.1"])


def test_unknown_key_in_a_file_names_the_file_and_key(tmp_path):
    path = tmp_path / "user.yaml"
    path.write_text(yaml.safe_dump({"loss": {"laplacain": 0.5}}))
    with pytest.raises(ConfigError) as info:
        load_config("fit", path)
    message = str(info.value)
    assert str(path) in message and "loss.laplacain" in message and "loss.laplacian" in message


def test_wrong_type_is_refused():
    with pytest.raises(ConfigError, match="steps"):
        load_config("fit", overrides=["steps=abc"])
    with pytest.raises(ConfigError, match="steps"):
        load_config("fit", overrides=["steps=1.5"])
    with pytest.raises(ConfigError, match="section"):
        load_config("fit", overrides=["optim=3"])


def test_malformed_override_and_missing_file():
    with pytest.raises(ConfigError, match="key=value"):
        parse_overrides(["steps"])
    with pytest.raises(ConfigError, match="not found"):
        load_config("fit", "/nonexistent/config.yaml")
    with pytest.raises(ConfigError, match="unknown recipe"):
        default_config("nope")


def test_saved_config_round_trips(tmp_path):
    config = load_config("fit", overrides={"loss.flatten": 0.25, "seed": 3})
    path = save_config(tmp_path / "run" / "config.yaml", config)
    assert load_config("fit", path) == config


@pytest.mark.parametrize("recipe", ["fit", "reconstruct", "demo"])
def test_every_recipe_has_loadable_defaults(recipe):
    config = default_config(recipe)
    assert isinstance(config["seed"], int) and config["steps"] > 0
