"""Data flows one way: no module of rmp_workbook imports, even indirectly, a module that
imports it back.

The import graph is read from the source with ``ast``: every ``import`` and
``from … import`` anywhere in a module (function-level imports too, since they
still tie the two modules together), except those under ``if TYPE_CHECKING:``,
which exist for annotations only and never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import rmp_workbook

PACKAGE = "rmp_workbook"
ROOT = Path(rmp_workbook.__file__).parent

KNOWN_CYCLES: set[frozenset[str]] = {
    # read ⇄ validate: removed by the `values`/`formulas` work (issue 11, items 1, 6, 13).
    frozenset({"rmp_workbook.read", "rmp_workbook.validate"}),
}
"""Cycles that exist today and are being removed. Never add one: remove the import instead.
When a cycle is gone, delete its entry (the test says so)."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, skipping the bodies of ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest known module ``name`` is or lies in (``a.b.C`` -> ``a.b``)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = module.split(".")
                    drop = node.level - 1 if is_package else node.level
                    anchor = anchor[: len(anchor) - drop] if drop else anchor
                    base = ".".join([*anchor, base]) if base else ".".join(anchor)
                # `from pkg import mod` names a module; `from mod import name` the module.
                targets = [f"{base}.{alias.name}" for alias in node.names]
            for target in targets:
                if not target.startswith(PACKAGE):
                    continue
                resolved = _resolve(target, modules)
                if resolved is not None and resolved != module:
                    graph[module].add(resolved)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[frozenset[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(frozenset(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_graph_sees_function_level_imports() -> None:
    graph = import_graph()
    # merge imports the dashboard writer inside a function only.
    assert "rmp_workbook.dashboard" in graph["rmp_workbook.merge"]
    assert "rmp_workbook.ledger.engine" in graph["rmp_workbook.ledger.record"]


def test_cycle_detection_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [frozenset({"a", "b", "c"})]


def test_no_new_import_cycles() -> None:
    found = set(cycles(import_graph()))
    new = [sorted(c) for c in found - KNOWN_CYCLES]
    assert not new, f"modules importing each other (make the data flow one way): {new}"


def test_known_cycles_still_exist() -> None:
    """Keeps KNOWN_CYCLES honest: a removed cycle must leave the list."""
    found = set(cycles(import_graph()))
    gone = [sorted(c) for c in KNOWN_CYCLES - found]
    assert not gone, f"these cycles are gone: delete them from KNOWN_CYCLES: {gone}"


def test_the_ledger_does_not_import_reconciliation() -> None:
    graph = import_graph()
    ledger = {
        m for m in graph if m == "rmp_workbook.ledger" or m.startswith("rmp_workbook.ledger.")
    }
    reached: set[str] = set()
    todo = list(ledger)
    while todo:
        for w in graph[todo.pop()]:
            if w not in reached:
                reached.add(w)
                todo.append(w)
    assert "rmp_workbook.reconcile" not in reached
