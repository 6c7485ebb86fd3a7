"""The run page in a real browser (headless Chromium, software WebGL): 3D view, curves, metrics, views.

Pictures are read back as screenshots and judged in Python: the canvas must show the
object, and clicking a loss curve must move the view to the iteration under the click.
"""
from __future__ import annotations

import numpy as np
import pytest

from chromium_devtools import CHROMIUM, NO_CHROMIUM, DevTools, open_viewer
from kaolin_pipeline.visualize.report import write_report
from test_report import ITERATIONS, make_run

pytestmark = [pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM), pytest.mark.slow]
BACKGROUND = np.array([245, 245, 245])


def object_fraction(pixels: np.ndarray) -> float:
    """Share of pixels that differ from the viewer's background grey."""
    return float((np.abs(pixels.astype(int) - BACKGROUND).sum(-1) > 12).mean())


@pytest.fixture
def browser(tmp_path):
    devtools = DevTools(tmp_path / "chromium-profile", webgl=True)
    yield devtools
    devtools.close()


IMAGE_STATE = """(async () => {
  const images = Array.from(document.images);
  await Promise.all(images.map((image) => image.decode().catch(() => null)));
  return images.map((image) => ({alt: image.alt, complete: image.complete, width: image.naturalWidth}));
})()"""


def test_run_page_in_headless_chromium(tmp_path, browser):
    page = write_report(make_run(tmp_path / "run"))
    session = open_viewer(browser, page.resolve().as_uri())
    assert object_fraction(browser.screenshot(session, "#kp-canvas")) > 0.02
    state = browser.evaluate(session, "window.kpViewer.state()")
    assert state["frame"] == len(ITERATIONS) - 1  # opens on the last logged iteration

    images = browser.evaluate(session, IMAGE_STATE)
    assert len(images) == 4 and all(image["complete"] and image["width"] > 0 for image in images), images
    assert browser.evaluate(session, "document.querySelectorAll('#kp-curves svg').length") == 2  # loss, iou

    # a click at the left end of the loss curve (step 0) shows iteration 0
    before = browser.screenshot(session, "#kp-canvas")
    box = browser.evaluate(session, """(() => { const r = document.querySelector('#kp-curves svg').getBoundingClientRect();
      return {x: r.left + 36, y: r.top + r.height / 2}; })()""")
    for kind in ("mousePressed", "mouseReleased"):
        browser.call("Input.dispatchMouseEvent", session, type=kind, x=box["x"], y=box["y"], button="left", clickCount=1)
    browser.evaluate(session, "window.kpViewer.settled()")
    assert browser.evaluate(session, "document.getElementById('kp-iteration-label').textContent").startswith("iteration 0 ")
    assert np.abs(browser.screenshot(session, "#kp-canvas").astype(int) - before).sum() > 0

    assert browser.errors() == []
    assert all(url.startswith(("file:", "data:", "blob:")) for url in browser.requested_urls()), browser.requested_urls()


def test_run_page_without_webgl_keeps_curves_metrics_and_views(tmp_path, browser):
    page = write_report(make_run(tmp_path / "run"))
    session = browser.open_page("about:blank")
    browser.call("Page.addScriptToEvaluateOnNewDocument", session, source="""
      const original = HTMLCanvasElement.prototype.getContext;
      HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
        return String(kind).startsWith("webgl") ? null : original.call(this, kind, ...rest); };""")
    browser.events.clear()
    browser.call("Page.navigate", session, url=page.resolve().as_uri())
    browser.wait_for("Page.loadEventFired", session)
    browser.evaluate(session, "window.kpViewer.ready")
    assert "cannot draw WebGL" in browser.evaluate(session, "document.getElementById('kp-message').textContent")
    assert browser.evaluate(session, "document.querySelectorAll('#kp-curves svg').length") == 2
    images = browser.evaluate(session, IMAGE_STATE)
    assert len(images) == 4 and all(image["width"] > 0 for image in images)
    assert not [e for e in browser.events if e.get("method") == "Runtime.exceptionThrown"]


def test_error_capture_works(browser):
    """Control for the tests above: a page with a failing script and a broken image is caught."""
    page = "data:text/html,<img src='data:image/png;base64,AAAA'><script>console.error('boom'); missing()</script>"
    session = browser.open_page(page)
    images = browser.evaluate(session, IMAGE_STATE)
    assert images[0]["width"] == 0
    errors = " ".join(browser.errors())
    assert "boom" in errors and "missing is not defined" in errors
