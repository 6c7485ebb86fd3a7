"""Config loading: defaults, YAML files and their base: chains, key=value overrides, scientific notation, refusals."""
from pathlib import Path

import pytest
import yaml

from kaolin_pipeline.errors import ConfigError
from kaolin_pipeline.resources import shipped_path
from kaolin_pipeline.export.rundir import RunDir
from kaolin_pipeline.train.config import default_config, load_config, load_run_config, parse_overrides, shipped_configs

ROOT = Path(__file__).resolve().parents[1]


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
    path = RunDir(tmp_path / "run").write_config(config)
    assert load_config("fit", path) == config


@pytest.mark.parametrize("recipe", ["fit", "reconstruct", "demo"])
def test_every_recipe_has_loadable_defaults(recipe):
    config = default_config(recipe)
    assert isinstance(config["seed"], int) and config["steps"] > 0


# --------------------------------------------------------------------------- scientific notation

@pytest.mark.parametrize("text, value", [("1e-3", 0.001), ("5E-4", 0.0005), ("1.0e+2", 100.0), ("1.0e2", 100.0),
                                         ("+2e-1", 0.2), (".5e1", 5.0)])
def test_overrides_and_files_accept_scientific_notation(tmp_path, text, value):
    assert parse_overrides([f"x=-{text.lstrip('+')}"]) == {"x": -value}
    assert isinstance(yaml.safe_load(text), str) or text == "1.0e+2"  # what plain PyYAML (YAML 1.1) does
    config = load_config("fit", overrides=[f"optim.lr_vertices={text}"])
    assert config["optim"]["lr_vertices"] == value and isinstance(config["optim"]["lr_vertices"], float)
    path = tmp_path / "user.yaml"
    path.write_text(f"optim:\n  lr_texture: {text}\n")
    assert load_config("fit", path)["optim"]["lr_texture"] == value


def test_an_integer_key_takes_a_whole_number_in_scientific_notation():
    assert load_config("fit", overrides=["steps=1e3"])["steps"] == 1000
    with pytest.raises(ConfigError, match=r"'steps' must be an integer"):
        load_config("fit", overrides=["steps=1e-3"])


@pytest.mark.parametrize("text", ["1e-3x", "e5", "1e", "abc", "'1e-3'"])
def test_a_value_that_is_not_a_number_is_still_refused_with_its_key(tmp_path, text):
    with pytest.raises(ConfigError, match=r"override: config key 'optim\.lr_vertices' must be float"):
        load_config("fit", overrides=[f"optim.lr_vertices={text}"])
    path = tmp_path / "user.yaml"
    path.write_text(f"optim:\n  lr_vertices: {text}\n")
    with pytest.raises(ConfigError, match=rf"{path}: config key 'optim\.lr_vertices' must be float"):
        load_config("fit", path)


def test_yaml_reading_is_otherwise_pyyaml_safe_load():
    from kaolin_pipeline.yamlfile import load_yaml

    text = "a: 1\nb: 1.5\nc: e5\nd: 0x10\ne: 1_000\nf: .inf\ng: [1, x]\nh: '2e3'\ni: 2001-01-01\nj: null\nk: yes\n"
    assert load_yaml(text) == yaml.safe_load(text)


# --------------------------------------------------------------------------- shipped configs and base: chains

def _flat(mapping, prefix=""):
    out = {}
    for key, value in mapping.items():
        out.update(_flat(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}": value})
    return out


def _raw_shipped(name):
    """A shipped config file as plain data (``1e-3`` read as a float, as documented), ``base`` popped."""
    from kaolin_pipeline.yamlfile import load_yaml

    raw = load_yaml((shipped_path("configs") / f"{name}.yaml").read_text())
    return raw, raw.pop("base", None)


def _expected(name):
    """The flat config of a shipped file by hand: its base's keys (recursively), then its own."""
    raw, base = _raw_shipped(name)
    expected = _expected(base) if base else {}
    expected.update(_flat(raw))
    return expected


def _root(name):
    base = _raw_shipped(name)[1]
    return _root(base) if base else name


SHIPPED = shipped_configs()
FIT_CONFIGS = [name for name in SHIPPED if _root(name) == "fit"]


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_config_is_accepted_by_config(name):
    recipe = _root(name)
    expected = _expected(name)
    assert _flat(load_config(recipe, ROOT / "configs" / f"{name}.yaml")) == expected
    assert _flat(load_config(recipe, shipped_path("configs", f"{name}.yaml"))) == expected
    assert _flat(load_config(recipe, name)) == expected


def test_a_shipped_config_can_be_named_instead_of_a_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no configs/ folder here, as for an installed package
    assert _flat(load_config("fit", "demo")) == _expected("demo")
    with pytest.raises(ConfigError, match=r"config: unknown shipped config 'dmeo' \(known: demo, fit, kaolin-tutorial"):
        load_config("fit", "dmeo")
    (tmp_path / "mine.yaml").write_text("steps: 4\n")
    assert load_config("fit", "mine.yaml")["steps"] == 4  # relative to the working directory
    (tmp_path / "demo").write_text("steps: 6\n")  # an existing file wins over a shipped name
    assert load_config("fit", "demo")["steps"] == 6


def test_shipped_configs_are_the_recipes_and_the_kaolin_tutorial_settings():
    assert shipped_configs() == ["demo", "fit", "kaolin-tutorial", "reconstruct"]
    assert FIT_CONFIGS == ["demo", "fit", "kaolin-tutorial"]


def test_a_bare_shipped_name_works_as_config():
    config = load_config("fit", "kaolin-tutorial")
    assert (config["name"], config["optim"]["lr_vertices"]) == ("kaolin-tutorial", 5.0e-4)


def test_user_yaml_chains_from_a_shipped_config_and_relative_paths(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "mine.yaml").write_text("base: demo\nsteps: 5\noptim:\n  lr_vertices: 1e-3\n")
    (tmp_path / "top.yaml").write_text("base: sub/mine.yaml\nseed: 9\n")
    config = load_config("fit", tmp_path / "top.yaml", ["loss.mask=2"])
    # the override, then top.yaml, then sub/mine.yaml, then demo.yaml, then fit.yaml
    expected = {**_expected("demo"), "seed": 9, "steps": 5, "optim.lr_vertices": 0.001, "loss.mask": 2.0}
    assert _flat(config) == expected
    assert expected["name"] == _raw_shipped("demo")[0]["name"] != _raw_shipped("fit")[0]["name"]
    assert "base" not in config


def test_a_user_yaml_without_base_sets_keys_on_the_recipe_defaults(tmp_path):
    (tmp_path / "a.yaml").write_text("steps: 3\n")
    (tmp_path / "b.yaml").write_text("base: a.yaml\nname: b\n")
    config = load_config("reconstruct", tmp_path / "b.yaml")
    assert _flat(config) == {**_expected("reconstruct"), "steps": 3, "name": "b"}


def test_a_base_cycle_is_refused_naming_the_files(tmp_path):
    (tmp_path / "a.yaml").write_text("base: b.yaml\n")
    (tmp_path / "b.yaml").write_text("base: ./a.yaml\n")
    with pytest.raises(ConfigError, match="cycle") as info:
        load_config("fit", tmp_path / "a.yaml")
    assert str(tmp_path / "a.yaml") in str(info.value) and str(tmp_path / "b.yaml") in str(info.value)
    (tmp_path / "self.yaml").write_text("base: self.yaml\n")
    with pytest.raises(ConfigError, match="cycle"):
        load_config("fit", tmp_path / "self.yaml")


@pytest.mark.parametrize("base, message", [
    ("nope", r"unknown shipped config 'nope' \(known: demo, fit, kaolin-tutorial, reconstruct\)"),
    ("missing.yaml", r"missing\.yaml: config file not found"),
    ("3", r"'base' must name a shipped config"),
    ("''", r"'base' must name a shipped config"),
])
def test_a_bad_base_is_refused_naming_the_file(tmp_path, base, message):
    path = tmp_path / "user.yaml"
    path.write_text(f"base: {base}\n")
    with pytest.raises(ConfigError, match=message) as info:
        load_config("fit", path)
    assert str(tmp_path) in str(info.value)


def test_a_config_of_another_recipe_is_refused_with_the_right_ones_named(tmp_path):
    with pytest.raises(ConfigError, match=r"'reconstruct' recipe, not a config of 'fit' \(configs of 'fit': demo, fit, kaolin-tutorial\)"):
        load_config("fit", ROOT / "configs" / "reconstruct.yaml")
    (tmp_path / "user.yaml").write_text("base: fit\n")
    with pytest.raises(ConfigError, match=rf"{tmp_path / 'user.yaml'}: starts from .*fit\.yaml: .*'reconstruct'"):
        load_config("reconstruct", tmp_path / "user.yaml")


_TINY = ["--steps", "1", "--device", "cpu", "views.image_size=16", "template.subdivisions=1",
         "template.texture_resolution=8", "log.timelapse_every=0", "eval.num_points=200", "eval.voxel_resolution=8"]


@pytest.mark.slow
@pytest.mark.parametrize("name", FIT_CONFIGS)
def test_fit_starts_with_each_shipped_fit_config(tmp_path, capsys, name):
    from kaolin_pipeline.cli import main

    run = tmp_path / "run"
    assert main(["fit", "synthetic:blob", "--config", str(ROOT / "configs" / f"{name}.yaml"), "--out", str(run),
                 "optim.lr_vertices=5e-3", *_TINY]) == 0
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert (saved["name"], saved["steps"], saved["optim"]["lr_vertices"]) == (name, 1, 0.005)


def test_fit_with_the_reconstruct_config_exits_2_with_one_line(capsys):
    from kaolin_pipeline.cli import main

    assert main(["fit", "synthetic:blob", "--config", str(ROOT / "configs" / "reconstruct.yaml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "configs of 'fit': demo, fit, kaolin-tutorial" in err[0] and "reconstruct.yaml" in err[0]


def test_a_run_saved_before_a_key_existed_keeps_its_behaviour(tmp_path):
    """A reconstruct run written before ``model.smoothing`` existed predicted offsets directly (0); a user
    file without the key gets today's default, a run that saved it keeps its value, overrides still win."""
    saved = default_config("reconstruct")
    del saved["model"]["smoothing"]
    old_run = RunDir(tmp_path / "old").write_config(saved)
    assert load_run_config("reconstruct", old_run)["model"]["smoothing"] == 0.0
    assert load_run_config("reconstruct", old_run, {"model.smoothing": 3.0})["model"]["smoothing"] == 3.0
    assert load_config("reconstruct", old_run)["model"]["smoothing"] == default_config("reconstruct")["model"]["smoothing"] > 0
    new_run = RunDir(tmp_path / "new").write_config(load_config("reconstruct", overrides=["model.smoothing=4"]))
    assert load_run_config("reconstruct", new_run)["model"]["smoothing"] == 4.0
