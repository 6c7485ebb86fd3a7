"""One self-contained HTML page: three.js, the viewer's script and style, and the scene as JSON, all inlined.

three.js ships unmodified in ``vendor/`` (the npm package's single-file module build
``three.module.min.js`` and ``examples/jsm/controls/OrbitControls.js``, with its MIT
licence). Module ``import``/``export`` statements cannot be inlined into a page opened from
``file://``, so :func:`three_script` wraps both files in functions that return their exports
and the page loads them as one classic script defining ``window.THREE`` (with
``THREE.OrbitControls``). Nothing is fetched: the page works offline and inside an iframe ``srcdoc``.
"""
from __future__ import annotations

import functools
import html
import json
import re
from importlib import resources
from typing import Optional

THREE_VERSION = "0.170.0"
_EXPORTS = re.compile(r"export\s*\{([^}]*)\}\s*;?\s*$")
_IMPORT_THREE = re.compile(r"import\s*\{([^}]*)\}\s*from\s*'three'\s*;")


def _asset(name: str) -> str:
    return resources.files("kaolin_pipeline.visualize").joinpath(name).read_text(encoding="utf-8")


def _exports_object(export_list: str) -> str:
    """``a as B, c`` (an ES export list) → ``{B: a, c: c}`` (a JavaScript object literal)."""
    pairs = []
    for entry in export_list.split(","):
        parts = entry.split(" as ")
        local, exported = parts[0].strip(), parts[-1].strip()
        if local:
            pairs.append(f"{exported}:{local}")
    return "{" + ",".join(pairs) + "}"


@functools.lru_cache(maxsize=1)
def three_script() -> str:
    """three.js and its OrbitControls as one classic script defining ``window.THREE``."""
    core = _asset("vendor/three.module.min.js")
    match = _EXPORTS.search(core)
    if match is None:  # a vendored file of another shape would break every page: fail loudly
        raise RuntimeError("vendor/three.module.min.js: no trailing export list found")
    three = f"window.THREE=(function(){{{core[:match.start()]}\nreturn {_exports_object(match.group(1))};}})();"
    controls = _asset("vendor/OrbitControls.js")
    controls = _IMPORT_THREE.sub(lambda m: f"const {{{m.group(1)}}} = THREE;", controls, count=1)
    controls = controls.replace("export { OrbitControls };", "THREE.OrbitControls = OrbitControls;")
    return f"{three}\n(function(){{{controls}\n}})();"


def _json_script(element_id: str, value) -> str:
    text = json.dumps(value, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def render_page(scene: dict, mode: str = "training", sections: str = "", parts: Optional[dict] = None) -> str:
    """The HTML page showing ``scene`` (see :mod:`kaolin_pipeline.visualize.scene`).

    Args:
        scene: the scene dict (JSON-ready).
        mode: ``'training'`` (items through iterations) or ``'dataset'`` (a thumbnail grid).
        sections: extra HTML placed under the viewer (the run page's metrics table and views).
        parts: dataset shapes' 3D data by shape index (``{"item", "textures"}``), each written to
            its own ``<script id="kp-shape-<i>">`` block that the page parses on first use.
    """
    title = html.escape(scene.get("title", "kaolin-pipeline viewer"))
    subtitle = html.escape(scene.get("subtitle", ""))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{_asset('viewer.css')}</style></head>"
        f'<body data-mode="{html.escape(mode)}"><header><h1>{title}</h1><p class="meta">{subtitle}</p></header>'
        f"{_asset('viewer.html')}{sections}"
        f"{_json_script('kp-scene', scene)}"
        f"{''.join(_json_script(f'kp-shape-{index}', part) for index, part in (parts or {}).items())}"
        f"<script>{three_script()}</script><script>{_asset('viewer.js')}</script></body></html>\n"
    )
