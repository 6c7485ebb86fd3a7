"""Recipe configurations: YAML defaults, a user YAML file and ``key=value`` overrides.

A configuration is a nested ``dict``. The defaults of each recipe live in the
top-level ``configs/<recipe>.yaml`` and define every valid key and its type: a
user file or an override may only set keys that exist there, with a value of a
compatible type. A mistyped key is refused with a :class:`ConfigError` that
names it and suggests the closest valid key.
"""
from __future__ import annotations

import copy
import difflib
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from kaolin_pipeline.errors import ConfigError

CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"


def _flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``: every leaf under its dotted key."""
    flat = {}
    for key, value in config.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _unknown_key(key: str, valid: Iterable[str], source: str) -> ConfigError:
    close = difflib.get_close_matches(key, list(valid), n=1, cutoff=0.5)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return ConfigError(f"{source}: unknown config key '{key}'{hint}")


def _coerce(key: str, value: Any, default: Any, source: str) -> Any:
    """``value`` checked against the type of ``default`` (ints widen to floats; ``None`` defaults accept anything)."""
    if default is None or value is None:
        return value
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
    elif isinstance(default, (int, float)):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if isinstance(default, int) and not float(value).is_integer():
                raise ConfigError(f"{source}: config key '{key}' must be an integer, got {value!r}")
            return type(default)(value)
    elif isinstance(default, str):
        if isinstance(value, str):
            return value
    elif isinstance(default, list):
        if isinstance(value, list):
            return value
    raise ConfigError(
        f"{source}: config key '{key}' must be {type(default).__name__} like the default {default!r}, got {value!r}"
    )


def _set(config: dict, dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = config
    for part in parents:
        node = node[part]
    node[leaf] = value


def merge(config: Mapping[str, Any], updates: Mapping[str, Any], source: str) -> dict:
    """A copy of ``config`` with the (nested or dotted) ``updates`` applied, each key and type checked.

    Raises:
        ConfigError: naming ``source`` and the key when a key is unknown or a value has the wrong type.
    """
    merged = copy.deepcopy(dict(config))
    valid = _flatten(merged)
    for key, value in _flatten(updates).items():
        if key not in valid:
            if any(name.startswith(key + ".") for name in valid):
                raise ConfigError(f"{source}: config key '{key}' is a section; set one of its keys instead")
            raise _unknown_key(key, valid, source)
        _set(merged, key, _coerce(key, value, valid[key], source))
    return merged


def parse_overrides(overrides: Iterable[str]) -> dict[str, Any]:
    """``["optim.lr_texture=0.01", "name=x"]`` -> ``{"optim.lr_texture": 0.01, "name": "x"}`` (values parsed as YAML)."""
    parsed = {}
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override '{item}' must have the form key=value")
        try:
            parsed[key.strip()] = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError as exc:
            raise ConfigError(f"override '{item}': value is not valid YAML ({exc})") from None
    return parsed


def read_yaml(path: str | Path) -> dict:
    """A YAML mapping from ``path``, or :class:`ConfigError` naming the file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read config ({exc})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config file must hold a mapping of keys, got {type(data).__name__}")
    return data


def _named_or_file(path: str | Path) -> dict:
    """The YAML file ``path``, or, when no such file exists and ``path`` is a bare name, the named
    config ``configs/<path>.yaml`` (resolved through its ``base``) such as ``kaolin-tutorial``."""
    named = CONFIG_DIR / f"{path}.yaml"
    if not Path(path).exists() and Path(path).name == str(path) and named.is_file():
        return default_config(str(path))
    return read_yaml(path)


def default_config(recipe: str) -> dict:
    """The defaults of ``recipe`` (``"fit"``, ``"reconstruct"``, ``"demo"``), from ``configs/<recipe>.yaml``.

    A recipe file may start from another with a top-level ``base: <recipe>`` key.
    """
    path = CONFIG_DIR / f"{recipe}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))
        raise ConfigError(f"unknown recipe '{recipe}' (known: {', '.join(known)})")
    data = read_yaml(path)
    base = data.pop("base", None)
    return merge(default_config(base), data, str(path)) if base else data


def load_config(
    recipe: str,
    path: str | Path | None = None,
    overrides: Iterable[str] | Mapping[str, Any] = (),
) -> dict:
    """The resolved config: ``recipe`` defaults, then the YAML file ``path``, then ``overrides``.

    Args:
        recipe: name of a file in ``configs/`` (without ``.yaml``).
        path: optional user YAML file (a saved ``RUN_DIR/config.yaml`` works too), or the name of a
            config in ``configs/`` (``kaolin-tutorial``).
        overrides: ``key=value`` strings with dotted keys, or a mapping of dotted keys.

    Raises:
        ConfigError: an unknown key (with the closest valid one suggested), a wrong type, a bad file.
    """
    config = default_config(recipe)
    if path is not None:
        config = merge(config, _named_or_file(path), str(path))
    updates = overrides if isinstance(overrides, Mapping) else parse_overrides(overrides)
    return merge(config, updates, "override")


def save_config(path: str | Path, config: Mapping[str, Any]) -> Path:
    """Write ``config`` as YAML to ``path`` (parents created) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(dict(config), sort_keys=False))
    return path
