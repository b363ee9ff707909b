"""Guards on the library's shape (issue 15): module and function sizes, import cycles, and the
direction of imports between the shared layers and the pages.

Each guard has an allow-list of accepted offenders, empty today. The lists are strict: an entry
that no longer offends fails the test too, so a list can only shrink back to empty.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = "solihull_analytics"
SRC = Path(__file__).resolve().parents[1] / "src" / PACKAGE
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 60
#: A function may be longer than MAX_FUNCTION_LINES when its docstring says why, with these words.
LONG_BECAUSE = "long because"

#: Modules over MAX_MODULE_LINES (relative to the package): none.
MODULES_OVER_LIMIT: set[str] = set()
#: Functions over MAX_FUNCTION_LINES without a reason (``module:qualified.name``): none.
LONG_FUNCTIONS: set[str] = set()
#: Import cycles today, each as the sorted modules of one strongly connected component.
CYCLES: set[tuple[str, ...]] = set()
#: Modules outside ``pages/`` that import from ``pages/`` today (``module -> page module``).
IMPORTS_OF_PAGES: set[str] = set()


def _modules() -> dict[str, Path]:
    """Dotted module name (``solihull_analytics.x.y``) -> its file."""
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _rel(path: Path) -> str:
    return path.relative_to(SRC).as_posix()


# -- sizes -------------------------------------------------------------------------------------


def module_lengths() -> dict[str, int]:
    """Module (path relative to the package) -> its number of lines."""
    return {_rel(p): len(p.read_text(encoding="utf-8").splitlines()) for p in MODULES.values()}


def _functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, ast.AST]]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield prefix + node.name, node
            yield from _functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")


def function_length(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from ``def`` to the function's last line, its docstring not counted."""
    length = node.end_lineno - node.lineno + 1
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
            and isinstance(first.value.value, str):
        length -= first.end_lineno - first.lineno + 1
    return length


def long_functions() -> dict[str, int]:
    """``module:function`` -> length, for functions over the limit whose docstring gives no
    reason (the words :data:`LONG_BECAUSE`)."""
    out = {}
    for path in MODULES.values():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name, node in _functions(tree):
            length = function_length(node)
            reason = LONG_BECAUSE in (ast.get_docstring(node) or "").lower()
            if length > MAX_FUNCTION_LINES and not reason:
                out[f"{_rel(path)}:{name}"] = length
    return out


# -- imports -----------------------------------------------------------------------------------


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import, at module level and inside functions and classes (not under
    ``if TYPE_CHECKING:``, which never runs)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            yield from _import_nodes(ast.Module(body=node.orelse, type_ignores=[]))
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from _import_nodes(node)


def _known(name: str) -> str | None:
    """The package module ``name`` refers to (itself, or the nearest module above it)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str) -> set[str]:
    """Package modules that ``module`` imports (``from a import b`` counts ``a.b`` when ``b`` is
    a module, else ``a``). A package's ``__init__`` run on the way is not counted."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = set()
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                       for alias in node.names]
        out |= {t for t in map(_known, targets) if t and t != module}
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports."""
    return {m: imports_of(m) for m in MODULES}


def cycles(graph: dict[str, set[str]]) -> set[tuple[str, ...]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[tuple[str, ...]] = set()

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.add(tuple(sorted(component)))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _in_pages(module: str) -> bool:
    return module == f"{PACKAGE}.pages" or module.startswith(f"{PACKAGE}.pages.")


def imports_of_pages(graph: dict[str, set[str]]) -> set[str]:
    """``module -> page module`` for modules outside ``pages/`` that import from it."""
    return {f"{m} -> {t}" for m, targets in graph.items() if not _in_pages(m)
            for t in targets if _in_pages(t)}


# -- the guards --------------------------------------------------------------------------------


def _strict(found: set[str] | dict[str, int], allowed: set, what: str) -> None:
    new = sorted(set(found) - allowed)
    fixed = sorted(allowed - set(found))
    assert not new, f"{what}, not in the allow-list: {new}"
    assert not fixed, f"{what} no longer (remove from the allow-list): {fixed}"


def test_no_module_over_the_size_limit() -> None:
    over = {m for m, n in module_lengths().items() if n > MAX_MODULE_LINES}
    _strict(over, MODULES_OVER_LIMIT, f"modules over {MAX_MODULE_LINES} lines")


def test_no_long_function_without_a_reason() -> None:
    _strict(long_functions(), LONG_FUNCTIONS,
            f"functions over {MAX_FUNCTION_LINES} lines whose docstring does not say "
            f"{LONG_BECAUSE!r}")


def test_no_import_cycles() -> None:
    _strict(cycles(import_graph()), CYCLES, "import cycles")


def test_shared_modules_do_not_import_pages() -> None:
    _strict(imports_of_pages(import_graph()), IMPORTS_OF_PAGES,
            "modules outside pages/ importing from pages/")


# -- the guards themselves, on small made-up code ---------------------------------------------


def test_function_length_leaves_out_the_docstring() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(3))
    tree = ast.parse(f'def f():\n    """One.\n\n    Two.\n    """\n{body}\n')
    assert function_length(tree.body[0]) == 4


def test_cycles_finds_strongly_connected_modules_only() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == {("a", "b", "c")}
    assert cycles({"a": {"b"}, "b": set()}) == set()


def test_imports_inside_functions_count_and_type_checking_ones_do_not(tmp_path: Path) -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from solihull_analytics import build\n"
        "def f():\n    from solihull_analytics.report import page\n"
    )
    names = {node.module for node in _import_nodes(ast.parse(source))
             if isinstance(node, ast.ImportFrom)}
    assert names == {"typing", "solihull_analytics.report"}


@pytest.mark.parametrize("module", ["solihull_analytics.build"])
def test_imports_of_resolves_package_modules(module: str) -> None:
    assert "solihull_analytics.processed" in imports_of(module)
    assert "solihull_analytics.catalogue" in imports_of(module)
