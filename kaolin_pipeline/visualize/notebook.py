"""``show(obj_or_path)``: the viewer inline in Jupyter, VS Code or any notebook front end that renders HTML.

The page goes into an ``<iframe srcdoc="...">``: the notebook needs no widget extension and no
server, and the page's script runs isolated from the notebook's.
"""
from __future__ import annotations

import html
import os
import tempfile
from pathlib import Path
from typing import Optional, Sequence, Union

from kaolin_pipeline.errors import ConfigError
from kaolin_pipeline.visualize.page import render_page
from kaolin_pipeline.visualize.scene import is_shape, scene_of_shapes
from kaolin_pipeline.visualize.view import write_view


class Viewer:
    """A viewer page that notebooks display inline (``_repr_html_``); ``html`` is the page itself."""

    def __init__(self, page: str, height: int = 760):
        self.html, self.height = page, height

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" style="width: 100%; height: {self.height}px; '
                'border: 1px solid #ddd" sandbox="allow-scripts" loading="eager"></iframe>')

    def save(self, path: Union[str, os.PathLike]) -> Path:
        """Write the page to ``path`` (an HTML file that opens in any browser)."""
        path = Path(path)
        path.write_text(self.html, encoding="utf-8")
        return path


def show(obj, names: Optional[Sequence[str]] = None, max_iterations: Optional[int] = None,
         height: int = 760) -> Viewer:
    """The viewer of ``obj`` for a notebook cell (its last expression, or ``IPython.display.display``).

    Args:
        obj: a :class:`Mesh`, :class:`PointCloud` or :class:`VoxelGrid`, a list of them, or a path:
            a run folder, a Timelapse log, a shape file or a dataset (see ``kaolin-pipeline view``;
            a run's ``report.html`` is rewritten on the way, as ``view`` does).
        names: labels of the shapes of a list.
        max_iterations: most iterations per logged item of a log (evenly spaced).
        height: height of the inline frame in pixels.
    """
    if is_shape(obj):
        obj = [obj]
    if isinstance(obj, (list, tuple)):
        if not obj or not all(is_shape(shape) for shape in obj):
            raise ConfigError("show: expected a Mesh, PointCloud, VoxelGrid, a non-empty list of them, or a path")
        return Viewer(render_page(scene_of_shapes(obj, title="shapes", names=names)), height)
    if isinstance(obj, (str, os.PathLike)):
        with tempfile.TemporaryDirectory() as folder:
            page = write_view(obj, out=Path(folder) / "view.html", max_iterations=max_iterations, progress=False)
            return Viewer(page.read_text(encoding="utf-8"), height)
    raise ConfigError(f"show: cannot show a {type(obj).__name__}")
