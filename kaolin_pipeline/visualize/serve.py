"""``kaolin-pipeline view PATH --serve``: the page over HTTP on localhost, for data too large to inline.

The server answers ``GET /`` with the page and, for a dataset, ``GET /shape/<i>`` with one
shape's 3D data (``{"item", "textures"}``, see :func:`~kaolin_pipeline.visualize.dataset.shape_part`),
which the page fetches when a shape it does not hold is clicked. It listens on 127.0.0.1 only.
"""
from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Optional

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.visualize.dataset import open_dataset, shape_part

_SHAPE = re.compile(r"^/shape/([0-9]+)$")


def make_server(page: Path, dataset_spec: Optional[str] = None, port: int = 0) -> ThreadingHTTPServer:
    """An HTTP server (not started) serving ``page`` and, with ``dataset_spec``, its shapes; port 0 picks a free one."""
    body = Path(page).read_bytes()
    dataset = open_dataset(dataset_spec) if dataset_spec else None
    lock = threading.Lock()  # datasets are not thread-safe; shapes load one at a time

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, content: bytes, mime: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", mime)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def do_GET(self):  # noqa: N802 (http.server's name)
            path = self.path.split("?")[0].split("#")[0]
            if path in ("/", "/index.html"):
                return self._send(200, body, "text/html; charset=utf-8")
            if path == "/favicon.ico":  # browsers ask for it; an empty answer keeps the console clean
                return self._send(204, b"", "image/x-icon")
            match = _SHAPE.match(path)
            if match and dataset is not None and int(match.group(1)) < len(dataset):
                try:
                    with lock:
                        part = shape_part(dataset, int(match.group(1)))
                except PipelineError as exc:
                    return self._send(500, str(exc).encode(), "text/plain; charset=utf-8")
                return self._send(200, json.dumps(part).encode(), "application/json")
            return self._send(404, b"not found", "text/plain; charset=utf-8")

        def log_message(self, format, *args):  # keep the terminal quiet
            pass

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)
