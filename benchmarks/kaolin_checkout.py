"""What the Kaolin benchmarks share: the user's edit of Kaolin's code, notebooks as scripts, a scratch copy.

A user who tries Kaolin's code here makes one edit: every ``'cuda'`` device string becomes ``'cpu'`` and every
``.cuda()`` becomes ``.cpu()``; notebook shell lines (``!pip ...``) and magics are dropped. These helpers do
exactly that, record every line they change, and never write into the checkout itself.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

#: A notebook line that IPython runs as its ``%pip`` magic: ``pip install ...`` with no ``!``.
_BARE_PIP = re.compile(r"^pip install\s")
#: ``'cuda'``, ``"cuda"``, ``'cuda:0'`` as string literals.
_DEVICE_STRING = re.compile(r"(['\"])cuda(?::\d+)?\1")


def user_edit(line: str) -> str:
    """``line`` with ``'cuda'`` device strings made ``'cpu'`` and ``.cuda()`` made ``.cpu()``."""
    return _DEVICE_STRING.sub(r"\1cpu\1", line).replace(".cuda()", ".cpu()")


def edit_source(text: str, drop_shell: bool = False) -> tuple[str, list[str]]:
    """``text`` after the user's edit, and one description per changed or dropped line.

    Args:
        text: Python source (a script, or a notebook's code cells joined).
        drop_shell: drop IPython shell lines and magics (``!pip install ...``, a bare ``pip install ...``,
            ``%matplotlib``).
    """
    lines, changes = [], []
    for line in text.splitlines():
        if drop_shell and (line.lstrip().startswith(("!", "%")) or _BARE_PIP.match(line)):
            changes.append(f"dropped: {line.strip()}")
            continue
        edited = user_edit(line)
        if edited != line:
            changes.append(f"{line.strip()}  ->  {edited.strip()}")
        lines.append(edited)
    return "\n".join(lines) + "\n", changes


def notebook_source(notebook: Path) -> str:
    """The code cells of a ``.ipynb`` file, in order, as one script."""
    cells = json.loads(notebook.read_text())["cells"]
    return "\n\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")


def notebook_to_cpu_script(notebook: Path) -> tuple[str, list[str]]:
    """The code cells of ``notebook`` as one CPU script, and a description of every line changed."""
    return edit_source(notebook_source(notebook), drop_shell=True)


def copy_tree(source: Path, target: Path) -> None:
    """Copy the folder ``source`` to ``target`` (merged into what is there)."""
    shutil.copytree(source, target, dirs_exist_ok=True)
