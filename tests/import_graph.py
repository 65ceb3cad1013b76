"""thresher's import graph read from its source (no module is imported): module → modules it
imports, packages → packages, and the cycles in either. Used by tests/core/test_import_layers.py
and the recipe loader's tests."""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Mapping
from itertools import pairwise
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

#: an import edge: the importing module's line, and whether it is inside a function
Edge = tuple[int, bool]


def modules() -> dict[str, Path]:
    """Every module of thresher by dotted name (a package by its ``__init__``)."""
    out: dict[str, Path] = {}
    for path in (SRC / "thresher").rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _names(node: ast.Import | ast.ImportFrom, package: str) -> list[str]:
    """The dotted names one import statement may load (``from a import b``: ``a.b`` or ``a``)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    base = node.module or ""
    if node.level:
        parts = package.split(".")
        base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
    return [f"{base}.{a.name}" for a in node.names]


def imports(path: Path, module: str, known: set[str]) -> dict[str, Edge]:
    """The thresher modules one file imports (the most specific module each name is in), at
    the top or inside functions, but not under ``if TYPE_CHECKING:``."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    out: dict[str, Edge] = {}

    def visit(nodes: list[ast.AST], lazy: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and _type_checking(node):
                visit(list(node.orelse), lazy)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                for name in _names(node, package):
                    while name and name not in known:
                        name = name.rpartition(".")[0]
                    if name and name != module:
                        out.setdefault(name, (node.lineno, lazy))
            else:
                inner = lazy or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                visit(list(ast.iter_child_nodes(node)), inner)

    visit([ast.parse(path.read_text(encoding="utf-8"))], False)
    return out


def module_graph() -> dict[str, dict[str, Edge]]:
    """Module → the modules it imports (with the line of the import)."""
    known = modules()
    return {m: imports(p, m, set(known)) for m, p in known.items()}


def package(module: str) -> str:
    """``thresher.store.readers`` → ``store``; a top-level module is its own package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def package_graph(graph: dict[str, dict[str, Edge]]) -> dict[str, dict[str, str]]:
    """Package → the packages it imports, each with one import that makes the edge."""
    out: dict[str, dict[str, str]] = {}
    for module, deps in sorted(graph.items()):
        edges = out.setdefault(package(module), {})
        for dep, (line, lazy) in sorted(deps.items()):
            if package(dep) != package(module):
                where = f"{module}:{line}{' (in a function)' if lazy else ''} imports {dep}"
                edges.setdefault(package(dep), where)
    return out


def reaches(graph: dict[str, dict[str, Edge]], start: str, goal: str) -> bool:
    """Whether ``start`` imports ``goal``, directly or through other modules."""
    todo, seen = [start], {start}
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt == goal:
                return True
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def cycles(graph: Mapping[str, Mapping[str, object]]) -> list[list[str]]:
    """One shortest cycle through each node that is on one (each cycle once)."""
    found: list[list[str]] = []
    covered: set[str] = set()
    for start in sorted(graph):
        if start in covered:
            continue
        back: dict[str, str] = {}
        todo = deque([start])
        while todo:
            node = todo.popleft()
            if start in graph.get(node, {}):
                path = [node]
                while path[-1] != start:
                    path.append(back[path[-1]])
                cycle = [start, *reversed(path[:-1]), start]
                covered.update(cycle)
                found.append(cycle)
                break
            for nxt in sorted(graph.get(node, {})):
                if nxt not in back and nxt != start:
                    back[nxt] = node
                    todo.append(nxt)
    return found


def show(cycle: list[str], graph: Mapping[str, Mapping[str, object]]) -> str:
    """A cycle one edge a line, each with the import that makes it."""
    steps = []
    for a, b in pairwise(cycle):
        edge = graph[a][b]
        why = edge if isinstance(edge, str) else f"line {edge[0]}{' (in a function)' * edge[1]}"
        steps.append(f"  {a or 'thresher'} -> {b or 'thresher'}: {why}")
    return "\n".join(steps)
