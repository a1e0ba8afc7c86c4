"""No import cycle anywhere in the project: the first-party import graph, function-level imports included."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Where first-party modules live, and the folder their dotted names start from.
SOURCES = {ROOT: ["app.py", "stacks", "tools", "scripts", "tests", "bench"], ROOT / "constructs" / "src": ["."]}


def modules() -> dict[str, Path]:
    found = {}
    for base, entries in SOURCES.items():
        for entry in entries:
            path = base / entry
            files = [path] if path.is_file() else sorted(path.rglob("*.py"))
            for file in files:
                if ".venv" in file.parts or "node_modules" in file.parts:
                    continue
                parts = file.relative_to(base).with_suffix("").parts
                name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
                found[name] = file
    return found


def imports(name: str, file: Path, known: set[str]) -> Iterator[str]:
    """The first-party modules ``name`` imports, at any depth of its code, TYPE_CHECKING blocks included."""
    tree = ast.parse(file.read_text())
    package = name if file.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for succ in graph[node]:
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def import_graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: set(imports(name, file, known)) for name, file in found.items()}


def test_the_project_has_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_bench_report_and_run_do_not_import_each_other() -> None:
    graph = import_graph()
    report = {m for m in graph if m == "bench.report" or m.startswith("bench.report.")}
    assert report
    assert all("bench.run" not in graph[m] for m in report)
    assert graph["bench.run"] & report  # run writes the report; the report reads bench.records only
