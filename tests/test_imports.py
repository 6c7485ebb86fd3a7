"""The package's imports go one way: no cycle among kaolin_pipeline's modules, counting imports inside
functions, and a function-level import of a kaolin_pipeline module only where it defers a heavy
optional dependency, with its reason on the line (or the line above)."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "kaolin_pipeline"
#: Modules whose function-level imports are deferred as a whole, with the reason in their docstring.
DEFERRING_MODULES = {"kaolin_pipeline.cli"}
#: Modules that exist to wrap a heavy optional dependency: importing them late is the reason itself.
HEAVY_OPTIONAL = {"kaolin_pipeline.io.usd": "pxr", "kaolin_pipeline.io._open3d": "open3d"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes under ``if TYPE_CHECKING:`` (never run)."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", None)) == "TYPE_CHECKING":
            skipped.update(id(sub) for stmt in node.body for sub in ast.walk(stmt))
    return skipped


def _imports(name: str, path: Path, modules: dict[str, Path]):
    """``(target module, line, inside a function)`` of every import of a kaolin_pipeline module in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    in_function = {id(sub) for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                   for sub in ast.walk(node)}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        targets = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from pkg import sub` imports the module pkg.sub when there is one, else a name of pkg
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        for target in targets:
            while target and target not in modules:  # `import a.b.c` of a name inside a module
                target = target.rpartition(".")[0]
            if target.startswith("kaolin_pipeline") and target != name:
                yield target, node.lineno, id(node) in in_function


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: {target for target, _, _ in _imports(name, path, modules)} for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle_and_accepts_a_chain():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_the_import_walker_sees_function_level_and_relative_imports(tmp_path):
    modules = {"kaolin_pipeline.x": None, "kaolin_pipeline.x.a": None, "kaolin_pipeline.x.b": None,
               "kaolin_pipeline.y": None}
    source = tmp_path / "a.py"
    source.write_text("from . import b\nif TYPE_CHECKING:\n    import kaolin_pipeline.y\n"
                      "def f():\n    from kaolin_pipeline.y import name\n")
    assert sorted(_imports("kaolin_pipeline.x.a", source, modules)) == [
        ("kaolin_pipeline.x.b", 1, False), ("kaolin_pipeline.y", 5, True)]


def test_no_import_cycle_in_the_package_counting_function_level_imports():
    assert _cycles(_graph()) == []


def test_function_level_imports_of_the_package_say_why():
    modules = _modules()
    unexplained = []
    for name, path in modules.items():
        if name in DEFERRING_MODULES:
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for target, line, in_function in _imports(name, path, modules):
            if target in HEAVY_OPTIONAL or not in_function:
                continue
            if "#" not in lines[line - 1] and not lines[line - 2].strip().startswith("#"):
                unexplained.append(f"{name}:{line} imports {target}")
    assert unexplained == []
