"""Every ```python block of README.md runs (or, if it needs data the tests do not have, at least resolves).

Rules for README blocks (checked here):
* each block is self-contained: it runs in a fresh namespace, in a temporary working directory
  where ``configs/``, ``render/`` and ``datasets/`` lead to the project's folders, as in a checkout;
* a block that needs external data (a dataset, a GPU) starts with a comment line ``# needs: <what>``;
  it is compiled, and every name it uses must be defined in it or be a builtin, every imported
  name must exist, and every ``module.attribute`` chain on an imported module must resolve.
"""
import ast
import builtins
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
NEEDS_MARKER = re.compile(r"#\s*needs:\s*\S")


def python_blocks(text: str) -> list[tuple[int, str]]:
    """``(line number of the first code line, code)`` of every fenced ```python block."""
    blocks, lines, start = [], text.splitlines(), None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if start is None and re.fullmatch(r"```\s*python3?\s*", stripped):
            start, body = number + 1, []
        elif start is not None and stripped.startswith("```"):
            blocks.append((start, "\n".join(body) + "\n"))
            start = None
        elif start is not None:
            body.append(line)
    assert start is None, f"README.md: the code block opened at line {start - 1} is never closed"
    return blocks


def needs_data(code: str) -> bool:
    first = next((line.strip() for line in code.splitlines() if line.strip()), "")
    return bool(NEEDS_MARKER.match(first))


BLOCKS = python_blocks(README.read_text(encoding="utf-8"))


def _bound_names(tree: ast.AST) -> set[str]:
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound


def _imported_objects(tree: ast.AST, where: str) -> dict[str, object]:
    """Import every module the block imports; the objects its import statements bind, by name."""
    objects = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                module = importlib.import_module(alias.name)
                top = alias.asname or alias.name.split(".")[0]
                objects[top] = module if alias.asname else importlib.import_module(alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{where}: relative import"
            module = importlib.import_module(node.module)
            for alias in node.names:
                if not hasattr(module, alias.name):
                    try:
                        importlib.import_module(f"{node.module}.{alias.name}")  # a submodule
                    except ImportError:
                        pass
                assert hasattr(module, alias.name), f"{where}: {node.module} has no '{alias.name}'"
                objects[alias.asname or alias.name] = getattr(module, alias.name)
    return objects


def _attribute_chain(node: ast.Attribute) -> tuple[str, list[str]] | None:
    names = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    return (node.id, names[::-1]) if isinstance(node, ast.Name) else None


def check_names(code: str, where: str) -> None:
    """Compile ``code``; every name it loads is bound in it or a builtin; imports and module attributes resolve."""
    tree = ast.parse(code, filename=where)
    compile(tree, where, "exec")
    bound = _bound_names(tree)
    undefined = sorted({node.id for node in ast.walk(tree) if isinstance(node, ast.Name)
                        and isinstance(node.ctx, ast.Load) and node.id not in bound and not hasattr(builtins, node.id)})
    assert not undefined, f"{where}: names used but never defined: {', '.join(undefined)}"
    imported = _imported_objects(tree, where)
    rebound = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    for node in ast.walk(tree):
        chain = _attribute_chain(node) if isinstance(node, ast.Attribute) else None
        if not chain or chain[0] not in imported or chain[0] in rebound:
            continue
        value, path = imported[chain[0]], chain[0]
        for attribute in chain[1]:
            assert hasattr(value, attribute), f"{where}: {path} has no attribute '{attribute}'"
            value, path = getattr(value, attribute), f"{path}.{attribute}"


@pytest.fixture
def checkout_like_cwd(tmp_path, monkeypatch):
    for folder in ("configs", "presets", "datasets"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _block_id(block: tuple[int, str]) -> str:
    return f"README.md:{block[0]}" + (":needs-data" if needs_data(block[1]) else "")


@pytest.mark.parametrize("block", BLOCKS, ids=[_block_id(b) for b in BLOCKS])
def test_readme_block(block, checkout_like_cwd):
    line, code = block
    where = f"README.md:{line}"
    check_names(code, where)
    if not needs_data(code):
        exec(compile(code, where, "exec"), {"__name__": "__readme__"})


def test_the_readme_has_blocks_that_run():
    assert sum(not needs_data(code) for _, code in BLOCKS) >= 2


# --------------------------------------------------------------------------- the checker itself

def test_extraction_finds_python_blocks_only_with_their_first_line():
    text = "intro\n```python\na = 1\n```\n```bash\nls\n```\n```python3\n# needs: ShapeNet\nb = 2\n```\n"
    assert python_blocks(text) == [(3, "a = 1\n"), (9, "# needs: ShapeNet\nb = 2\n")]
    assert [needs_data(code) for _, code in python_blocks(text)] == [False, True]
    with pytest.raises(AssertionError, match="never closed"):
        python_blocks("```python\nx = 1\n")


@pytest.mark.parametrize("code, message", [
    ("x = y + 1\n", "never defined: y"),
    ("from kaolin_pipeline.io import load_meshes\n", "no 'load_meshes'"),
    ("import kaolin_pipeline.io as kio\nkio.load_meshh\n", "kio has no attribute 'load_meshh'"),
    ("import kaolin_pipeline\nkaolin_pipeline.io.nothing\n", "kaolin_pipeline.io has no attribute 'nothing'"),
    ("def f(:\n", "invalid syntax"),
])
def test_the_name_check_catches_what_a_reader_would_hit(code, message):
    with pytest.raises((AssertionError, SyntaxError), match=message):
        check_names(code, "snippet")


def test_the_name_check_accepts_names_a_block_defines():
    check_names("import torch\nfrom kaolin_pipeline.io import load_mesh\n"
                "def f(a, *, b=1):\n    return [c for c in range(a)] + [torch.zeros(b)]\n"
                "try:\n    load_mesh('x.obj')\nexcept Exception as err:\n    print(err)\n", "snippet")
