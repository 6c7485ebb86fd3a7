"""Headless Chromium driven over the DevTools protocol (a pipe, no browser-automation package), shared by the browser tests.

Chromium is started with ``--remote-debugging-pipe``: it reads NUL-terminated JSON
commands on fd 3 and writes responses and events on fd 4. ``DevTools(..., webgl=True)``
turns on software WebGL (SwiftShader through ANGLE), which Debian's chromium ships.
"""
from __future__ import annotations

import base64
import fcntl
import io
import json
import os
import select
import shutil
import subprocess
import time

import numpy as np
from PIL import Image

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NO_CHROMIUM = "chromium is not installed (Debian: apt-get install -y chromium)"
WEBGL_FLAGS = ["--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"]
TIMEOUT_S = 60.0


class DevTools:
    """A Chromium process and its DevTools pipe: ``call`` sends a command and returns its result; events pile up."""

    def __init__(self, user_data_dir, webgl: bool = False):
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()

        def install_pipe_fds():  # in the child, before exec: fds 3 and 4 are what Chromium expects
            read_copy = fcntl.fcntl(to_browser_read, fcntl.F_DUPFD, 10)
            write_copy = fcntl.fcntl(from_browser_write, fcntl.F_DUPFD, 10)
            os.dup2(read_copy, 3)
            os.dup2(write_copy, 4)

        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", *(WEBGL_FLAGS if webgl else ["--disable-gpu"]), "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", f"--user-data-dir={user_data_dir}", "--remote-debugging-pipe",
             "--enable-logging=stderr", "--v=0", "about:blank"],
            close_fds=False, preexec_fn=install_pipe_fds,  # Python's own fds are non-inheritable (PEP 446)
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._from_browser], [], [], remaining)[0]:
                raise TimeoutError("no message from chromium in time")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise ConnectionError(f"chromium closed the pipe: {self.process.stderr.read().decode()[-2000:]}")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, session: str | None = None, **params) -> dict:
        self._next_id += 1
        command = {"id": self._next_id, "method": method, "params": params}
        if session:
            command["sessionId"] = session
        os.write(self._to_browser, json.dumps(command).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            message = self._read_message(deadline)
            if message.get("id") == self._next_id:
                assert "error" not in message, f"{method}: {message['error']}"
                return message["result"]
            self.events.append(message)

    def wait_for(self, method: str, session: str | None = None) -> dict:
        """The first event ``method`` (of tab ``session`` when given) seen so far or arriving next."""
        deadline = time.monotonic() + TIMEOUT_S

        def wanted(event: dict) -> bool:
            return event.get("method") == method and (session is None or event.get("sessionId") == session)

        for event in self.events:
            if wanted(event):
                return event
        while True:
            event = self._read_message(deadline)
            self.events.append(event)
            if wanted(event):
                return event

    def open_page(self, url: str) -> str:
        """A new tab showing ``url`` (after its load event); returns its session id."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Runtime", "Log", "Page", "Network"):
            self.call(f"{domain}.enable", session)
        self.events.clear()
        self.call("Page.navigate", session, url=url)
        self.wait_for("Page.loadEventFired", session)
        return session

    def evaluate(self, session: str, expression: str):
        result = self.call("Runtime.evaluate", session, expression=expression, awaitPromise=True, returnByValue=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and failed loads seen so far."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(params["exceptionDetails"].get("exception", {}).get("description", "exception"))
            elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                found.append(json.dumps(params["args"]))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(params["entry"]["text"])
            elif method == "Network.loadingFailed":
                found.append(f"load failed: {params.get('errorText')}")
        return found

    def requested_urls(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (OSError, TimeoutError, ConnectionError, AssertionError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stderr.close()
        os.close(self._to_browser)
        os.close(self._from_browser)

    def screenshot(self, session: str, selector: str):
        """The pixels (H, W, 3) uint8 of the element ``selector`` as composited on screen (WebGL included); it must lie inside the window."""
        box = self.evaluate(session, f"""(() => {{
          const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();
          return {{x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height}};
        }})()""")
        shot = self.call("Page.captureScreenshot", session, format="png", captureBeyondViewport=False,
                         clip={**box, "scale": 1})
        return np.asarray(Image.open(io.BytesIO(base64.b64decode(shot["data"]))).convert("RGB"))


def open_viewer(browser: DevTools, url: str, width: int = 1000, height: int = 2400) -> str:
    """Open a viewer page at a fixed window size and wait until its first picture is drawn; returns the session."""
    session = browser.open_page("about:blank")
    browser.call("Emulation.setDeviceMetricsOverride", session, width=width, height=height, deviceScaleFactor=1,
                 mobile=False)
    browser.events.clear()
    browser.call("Page.navigate", session, url=url)
    browser.wait_for("Page.loadEventFired", session)
    browser.evaluate(session, "window.kpViewer.ready.then(() => new Promise((r) => requestAnimationFrame(() => r(1))))")
    return session
