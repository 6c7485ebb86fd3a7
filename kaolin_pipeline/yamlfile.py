"""YAML reading for configs and presets: PyYAML's safe loader, with numbers as people write them.

PyYAML follows YAML 1.1, where a float needs a dot and a signed exponent: ``5e-3``, ``1E4`` and
``1.0e2`` load as strings. :func:`load_yaml` reads them as floats (as YAML 1.2 and Python do);
everything else is plain ``yaml.safe_load``.
"""
from __future__ import annotations

import re
from typing import Any

import yaml


class _NumberLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that also resolves exponent floats without a dot or exponent sign."""


_NumberLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load(text)``, except that ``1e-3``, ``5E-4``, ``1.0e2`` are floats (raises ``yaml.YAMLError``)."""
    return yaml.load(text, Loader=_NumberLoader)
