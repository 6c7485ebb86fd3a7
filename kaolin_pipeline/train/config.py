"""Recipe configurations: YAML defaults, a user YAML file and ``key=value`` overrides.

A configuration is a nested ``dict``. The defaults of each recipe live in the
shipped ``configs/<recipe>.yaml`` (package data, see :mod:`kaolin_pipeline.resources`)
and define every valid key and its type: a user file or an override may only set
keys that exist there, with a value of a compatible type. A mistyped key is refused with a :class:`ConfigError` that
names it and suggests the closest valid key.
"""
from __future__ import annotations

import copy
import difflib
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from kaolin_pipeline.errors import ConfigError
from kaolin_pipeline.resources import shipped_path
from kaolin_pipeline.train.config_checks import check_values
from kaolin_pipeline.yamlfile import load_yaml, read_yaml_mapping

CONFIG_DIR = shipped_path("configs")

ADDED_KEYS = {"reconstruct": {"model.smoothing": 0.0},
              "fit": {"optim.smoothing": 0.0, "template.init": "sphere", "template.hull_resolution": 64,
                      "template.hull_radius": 0.8, "loss.chamfer": 0.0,
                      "views.two_sided": False, "views.crease_angle": None, "views.depth": False, "loss.depth": 0.0,
                      "template.projected": False, "views.normals": False, "loss.normal": 0.0}}
"""Per recipe, keys added after runs of it were saved, with the value that keeps such a run's behaviour
(under today's name)."""

RENAMED_KEYS = {
    "fit": {"views.batch_size": "optim.batch_size"},
    "reconstruct": {"data.target_scale": "views.target_scale", "model.template_scale": "template.scale",
                    "model.subdivisions": "template.subdivisions",
                    "loss.color": "loss.image", "views.view_set": "views.train_set"},
}
"""Per recipe, old key -> today's key: saved runs are read under today's names; a user who types an
old name is told the new one."""

KEEP_PRESET_KEYS = {"fit": ("views.num_views",)}
"""Per recipe, keys besides :data:`_ZERO_MEANT_KEEP` whose ``null`` keeps the preset's value, where
runs saved before wrote ``0``."""

RESUME_FIXED_KEYS = {
    "fit": ("target", "views.preset", "views.target_scale", "template.subdivisions", "template.scale",
            "template.color", "template.texture_resolution", "optim.smoothing", "template.init",
            "template.hull_resolution", "template.hull_radius"),
    "reconstruct": ("data.source", "views.image_size", "template.subdivisions", "template.scale",
                    "model.smoothing", "model.channels", "model.hidden", "model.norm"),
}
"""Per recipe, the keys a resumed run cannot change: they shape the model the checkpoint holds, or
what it was trained on."""

_ZERO_MEANT_KEEP = ("views.image_size", "views.sigmainv")
"""Render-setting keys whose ``0`` once meant "keep the preset's value", today spelled ``null``."""

_OLD_DATA_KEYS = ("data.root", "data.num_train", "data.shapenet_version", "data.modelnet_variant")
"""Keys that ``data.source`` (:mod:`kaolin_pipeline.datasets.sources`) replaced."""
_OLD_SOURCE_WORDS = ("synthetic", "shapenet", "modelnet", "folder")


def _old_source(spec: Any) -> tuple[str, str]:
    """``(word, count or root)`` of a ``data.source`` in today's grammar, as the old keys spelled it."""
    kind, colon, rest = str(spec).partition(":")
    return (kind, rest) if colon and kind in _OLD_SOURCE_WORDS else ("folder", str(spec))


def _upgrade_data_source(current: Mapping[str, Any], updates: dict[str, Any], source: str) -> None:
    """Rewrite (in place) the old ``data.source`` word + ``data.root`` / ``data.num_train`` of flat ``updates`` as
    one ``data.source`` string: ``synthetic`` + ``num_train: N`` -> ``synthetic:N``; ``shapenet`` / ``modelnet`` +
    ``root: R`` -> ``shapenet:R`` / ``modelnet:R``; ``folder`` + ``root: R`` -> ``R``. ``data.shapenet_version`` and
    ``data.modelnet_variant`` are dropped (the files tell them now). Old keys on top of a ``data.source`` of
    ``current`` (flat) in today's grammar change its root or count."""
    old = {key: updates.pop(key) for key in _OLD_DATA_KEYS if key in updates}
    word = updates.get("data.source")
    if "data.source" not in current or (not old and word not in _OLD_SOURCE_WORDS):
        updates.update(old)  # a config without a data section: unknown keys are reported as such
        return
    if word in _OLD_SOURCE_WORDS:
        count, root = 512, ""  # the defaults of data.num_train and data.root when they existed
    else:
        word, rest = _old_source(updates.get("data.source", current["data.source"]))
        count, root = (rest, "") if word == "synthetic" else (512, rest)
    if word == "synthetic":
        updates["data.source"] = f"synthetic:{old.get('data.num_train', count)}"
        return
    root = str(old.get("data.root", root))
    if not root:
        raise ConfigError(f"{source}: data.source = {word} needs a data.root (today one string: "
                          f"data.source: {'ROOT' if word == 'folder' else word + ':ROOT'})")
    updates["data.source"] = root if word == "folder" else f"{word}:{root}"


def _upgrade(current: Mapping[str, Any], updates: dict[str, Any], source: str) -> dict[str, Any]:
    """Flat ``updates`` with old spellings rewritten to today's, so old configs and saved runs keep their
    meaning: a ``0`` of :data:`_ZERO_MEANT_KEEP` becomes ``None``, and the old data keys become one
    ``data.source`` (:func:`_upgrade_data_source`)."""
    for key in _ZERO_MEANT_KEEP:
        if key in updates and updates[key] == 0 and not isinstance(updates[key], bool):
            updates[key] = None
    _upgrade_data_source(current, updates, source)
    return updates


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
    valid = list(valid)
    renamed = {new for renames in RENAMED_KEYS.values() for old, new in renames.items() if old == key and new in valid}
    close = sorted(renamed) or difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
    hint = f"; it is now '{close[0]}'" if renamed else f"; did you mean '{close[0]}'?" if close else ""
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
    for key, value in _upgrade(valid, _flatten(updates), source).items():
        if key not in valid:
            if any(name.startswith(key + ".") for name in valid):
                raise ConfigError(f"{source}: config key '{key}' is a section; set one of its keys instead")
            raise _unknown_key(key, valid, source)
        _set(merged, key, _coerce(key, value, valid[key], source))
    return merged


def parse_overrides(overrides: Iterable[str]) -> dict[str, Any]:
    """``["optim.lr_texture=1e-2", "name=x"]`` -> ``{"optim.lr_texture": 0.01, "name": "x"}`` (values parsed as YAML)."""
    parsed = {}
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override '{item}' must have the form key=value")
        try:
            parsed[key.strip()] = load_yaml(text) if text.strip() else ""
        except yaml.YAMLError as exc:
            raise ConfigError(f"override '{item}': value is not valid YAML ({exc})") from None
    return parsed


def shipped_configs() -> list[str]:
    """Names of the configs shipped with the package (``['demo', 'fit', 'reconstruct']``)."""
    return sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))


def _shipped_config_path(name: str, source: str) -> Path:
    path = CONFIG_DIR / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(f"{source}: unknown shipped config '{name}' (known: {', '.join(shipped_configs())})")
    return path


def _config_path(value: Any, folder: Path, source: str) -> Path:
    """The file ``value`` names, relative to ``folder``: a YAML path (``*.yaml``/``*.yml``, containing
    ``/``, or an existing file), or else the name of a shipped config; ``source`` prefixes the errors."""
    if isinstance(value, Path):
        return (folder / value.expanduser()).resolve()
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{source} must name a shipped config ({', '.join(shipped_configs())}) "
                          f"or a YAML file, got {value!r}")
    path = folder / Path(value).expanduser()
    if Path(value).suffix in (".yaml", ".yml") or "/" in value or path.is_file():
        return path.resolve()
    return _shipped_config_path(value, source).resolve()


def _recipe_family(name: str) -> str:
    """The shipped config at the root of ``name``'s ``base:`` chain (``'demo'`` -> ``'fit'``)."""
    seen = [name]
    while True:
        base = read_yaml_mapping(_shipped_config_path(name, "recipe")).get("base")
        if not isinstance(base, str) or base in seen:
            return name
        name = base
        seen.append(name)


def _resolve_chain(path: Path, start: dict | None, recipe: str | None, chain: tuple[Path, ...] = ()) -> dict:
    """The config of the YAML file ``path`` after its ``base:`` chain.

    Args:
        start: the config a root file (one without ``base:``) is merged onto; ``None`` makes that
            file the definition of every key (a recipe's defaults).
        recipe: the recipe ``start`` belongs to; a chain rooted at a shipped config of another recipe
            is refused.
    """
    if path in chain:
        cycle = " -> ".join(str(p) for p in chain[chain.index(path):] + (path,))
        raise ConfigError(f"config files inherit from each other in a cycle: {cycle}")
    data = read_yaml_mapping(path)
    base = data.pop("base", None)
    if base is not None:
        parent = _resolve_chain(_config_path(base, path.parent, f"{path}: 'base'"), start, recipe, chain + (path,))
        return merge(parent, data, str(path))
    if start is None:
        return data
    if path.parent == CONFIG_DIR.resolve() and _recipe_family(path.stem) != _recipe_family(recipe):
        family = _recipe_family(recipe)
        compatible = [name for name in shipped_configs() if _recipe_family(name) == family]
        where = f"{chain[0]}: starts from {path}" if chain else str(path)
        raise ConfigError(f"{where}: the defaults of the '{path.stem}' recipe, not a config of '{recipe}' "
                          f"(configs of '{recipe}': {', '.join(compatible)})")
    return merge(start, data, str(path))


def default_config(recipe: str) -> dict:
    """The defaults of ``recipe`` (``"fit"``, ``"reconstruct"``, ``"demo"``), from the shipped ``configs/<recipe>.yaml``.

    A shipped file may start from another with a top-level ``base: <name>`` key (``demo`` starts from ``fit``).
    """
    path = CONFIG_DIR / f"{recipe}.yaml"
    if not path.is_file():
        raise ConfigError(f"unknown recipe '{recipe}' (known: {', '.join(shipped_configs())})")
    return _resolve_chain(path.resolve(), None, None)


def load_config(
    recipe: str,
    path: str | Path | None = None,
    overrides: Iterable[str] | Mapping[str, Any] = (),
) -> dict:
    """The resolved config: ``recipe`` defaults, then the YAML file ``path``, then ``overrides``.

    ``path`` (and a ``base:`` value) is a YAML path when it ends in ``.yaml``/``.yml`` or contains ``/``,
    else the name of a shipped config (``fit``, ``demo``, ``reconstruct``). A YAML file may start with
    ``base: <name or path>`` (a path relative to the file); bases chain, and each file sets keys on top
    of its base. A chain whose root is a shipped config of another recipe (``reconstruct`` given to
    ``fit``) is refused.

    Args:
        recipe: name of a shipped config (``fit``, ``reconstruct``, ``demo``).
        path: optional user YAML file (a saved ``RUN_DIR/config.yaml`` or a shipped config works too), or
            the bare name of a shipped config (``kaolin-tutorial``) where no such file exists.
        overrides: ``key=value`` strings with dotted keys, or a mapping of dotted keys.

    Raises:
        ConfigError: an unknown key (with the closest valid one suggested), a wrong type, a value out of
            range (:func:`~kaolin_pipeline.train.config_checks.check_values`), a bad file, a missing or
            cyclic ``base:``, a config of another recipe.
    """
    config = default_config(recipe)
    if path is not None:
        config = _resolve_chain(_config_path(path, Path.cwd(), "config"), config, recipe)
    updates = overrides if isinstance(overrides, Mapping) else parse_overrides(overrides)
    config = merge(config, updates, "override")
    check_values(config)
    return config


def upgrade_saved(recipe: str, saved: Mapping[str, Any]) -> dict[str, Any]:
    """The dotted keys of a config saved by an earlier version, under today's names and meanings.

    Old names become today's (:data:`RENAMED_KEYS`), old ``data.source`` words one string, ``0`` in a
    keep-the-preset key ``null`` (:data:`_ZERO_MEANT_KEEP`, :data:`KEEP_PRESET_KEYS`), and a key of :data:`ADDED_KEYS` the config lacks takes the value
    that keeps the run's behaviour, not today's default.
    """
    family = _recipe_family(recipe)
    renames = RENAMED_KEYS.get(family, {})
    flat = {renames.get(key, key): value for key, value in _flatten(saved).items()}
    flat = _upgrade(_flatten(default_config(recipe)), flat, "saved config")
    for key in KEEP_PRESET_KEYS.get(family, ()):
        if flat.get(key) == 0:
            flat[key] = None
    for key, value in ADDED_KEYS.get(family, {}).items():
        flat.setdefault(key, value)
    return flat


def load_run_config(recipe: str, saved: str | Path, overrides: Mapping[str, Any] | None = None) -> dict:
    """The config of a saved run (its ``RUN_DIR/config.yaml``), to resume or evaluate it.

    Like :func:`load_config` on top of the recipe's defaults, with the file read through
    :func:`upgrade_saved`, so a run saved by an earlier version keeps its meaning.
    """
    config = merge(default_config(recipe), upgrade_saved(recipe, read_yaml_mapping(saved)), str(saved))
    config = merge(config, overrides or {}, "override")
    check_values(config)
    return config


def resume_conflicts(recipe: str, trained: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    """The keys of :data:`RESUME_FIXED_KEYS` whose value in ``config`` differs from the config the
    checkpoint was ``trained`` with (read through :func:`upgrade_saved`), as ``"key: old -> new"``."""
    before, now = upgrade_saved(recipe, trained), _flatten(config)
    return [f"{key}: {before.get(key)!r} -> {now.get(key)!r}" for key in RESUME_FIXED_KEYS.get(_recipe_family(recipe), ())
            if key in before and before[key] != now.get(key)]
