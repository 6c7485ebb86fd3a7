"""Execute examples/dibr_tutorial.ipynb top to bottom (``make tutorial``) and print its held-out IoU and time.

Usage: ``python examples/run_tutorial.py [--fast] [--out DIR]``; the executed notebook is written to
``DIR/dibr_tutorial.ipynb`` (default ``runs/tutorial``).
"""
import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).with_name("dibr_tutorial.ipynb")


def run(out: Path, fast: bool, timeout: int | None = None) -> nbformat.NotebookNode:
    """Execute the tutorial with ``KP_TUTORIAL_DIR=out`` (and ``KP_TUTORIAL_FAST=1`` when ``fast``); ``timeout``
    limits each cell (seconds, None: no limit).

    The kernel inherits this process's environment, which is restored afterwards.
    """
    settings = {"KP_TUTORIAL_DIR": str(out), "KP_TUTORIAL_FAST": "1" if fast else "0"}
    saved = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)
    try:
        notebook = nbformat.read(NOTEBOOK, as_version=4)
        NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(Path.cwd())}}).execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return notebook


def printed_lines(notebook: nbformat.NotebookNode) -> list[str]:
    """Every line the notebook's cells printed."""
    return [line for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])
            if output.get("name") == "stdout" for line in output["text"].splitlines()]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="the test suite's tiny setting")
    parser.add_argument("--out", default="runs/tutorial", help="working folder of the notebook")
    args = parser.parse_args()
    start = time.perf_counter()
    executed = run(Path(args.out), args.fast)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    nbformat.write(executed, Path(args.out) / NOTEBOOK.name)
    for line in printed_lines(executed):
        if line.startswith(("held-out mask IoU", "notebook time")):
            print(line)
    print(f"executed in {time.perf_counter() - start:.1f} s (kernel start included): {Path(args.out) / NOTEBOOK.name}")
    sys.exit(0)
