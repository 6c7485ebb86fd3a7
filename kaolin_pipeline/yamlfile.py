"""YAML reading for configs and presets: PyYAML's safe loader, with numbers as people write them.

PyYAML follows YAML 1.1, where a float needs a dot and a signed exponent: ``5e-3``, ``1E4`` and
``1.0e2`` load as strings. :func:`load_yaml` reads them as floats (as YAML 1.2 and Python do).
Aliases (``*name``) are refused: configs never need them, and nested aliases ("billion laughs")
make a few lines expand to gigabytes. Everything else is plain ``yaml.safe_load``.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from kaolin_pipeline.errors import ConfigError


class _NumberLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that also resolves exponent floats without a dot or exponent sign, and refuses aliases."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, f"alias *{event.anchor} found: aliases are not allowed",
                                              event.start_mark)
        return super().compose_node(parent, index)


_NumberLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load(text)``, except that ``1e-3``, ``5E-4``, ``1.0e2`` are floats and aliases are
    refused (raises ``yaml.YAMLError``)."""
    return yaml.load(text, Loader=_NumberLoader)


def read_yaml_mapping(path: str | Path) -> dict:
    """The YAML mapping in the file ``path`` (``{}`` for an empty file).

    Raises:
        ConfigError: naming the file when it is missing, unreadable, not YAML or not a mapping.
    """
    path = Path(path)
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read config ({' '.join(str(exc).split())})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config file must hold a mapping of keys, got {type(data).__name__}")
    return data
