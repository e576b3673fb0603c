"""The import rules of docs/ARCHITECTURE.md (its table, read here), checked on the source.

Every ``import`` counts, including those inside functions, and so does every
``"panza.module:attr"`` string (the registries that import on first use). The rooms
and what each may import are the table in ARCHITECTURE.md; the graph has no cycle.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("daemon", "training", "native_host", "installer")
REGISTRY = re.compile(r"^(panza(?:\.\w+)+):\w+$")

TICKED = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Rules:
    """The rooms table of ARCHITECTURE.md: who may import whom, and the daemon's groups."""

    may_import: dict[str, set[str]]
    groups: dict[str, str]  # a daemon top-level module -> its group's room


@cache
def rules() -> Rules:
    text = (REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("## Rooms and what each may import", 1)[1].split("\n## ", 1)[0]
    may_import: dict[str, set[str]] = {}
    groups: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        names = TICKED.findall(cells[0])
        room, members = names[0], names[1:] if "modules" in cells[0] else []
        may_import[room] = set(TICKED.findall(cells[2]))
        groups.update(dict.fromkeys(members, room))
    return Rules(may_import, groups)


@cache
def modules() -> dict[str, Path]:
    """Every module of the distribution by its import name (``panza.<folder>...``)."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(["panza", *parts])] = path
    return found


def imports_of(name: str) -> set[str]:
    """The distribution's modules that ``name`` imports, anywhere in its source."""
    path = modules()[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                targets.add(full if full in modules() else base)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            registered = REGISTRY.match(node.value)
            if registered:
                targets.add(registered.group(1))
    return {m for m in map(_known, targets) if m is not None and m != name}


def _known(target: str) -> str | None:
    while target and target not in modules():
        target = target.rpartition(".")[0]
    return target or None


@cache
def graph() -> dict[str, frozenset[str]]:
    return {name: frozenset(imports_of(name)) for name in modules()}


def room(name: str) -> str:
    """The room a module belongs to (see the table in ARCHITECTURE.md)."""
    parts = name.split(".")
    if parts[1] != "daemon":
        return parts[1]
    if len(parts) == 2:
        return "foundation"  # the package itself
    if parts[2] in rules().groups:
        return rules().groups[parts[2]]
    if (REPO / "daemon" / parts[2]).is_dir():
        return parts[2]
    raise AssertionError(f"{name} belongs to no room: add it to ARCHITECTURE.md's table")


def allowed(source: str, target: str) -> bool:
    here, there = room(source), room(target)
    may = rules().may_import.get(here, set())  # a room missing from the table: see below
    if here == there or "*" in may:
        return True
    return there in may or target.removeprefix("panza.") in may


def test_every_module_belongs_to_a_room_of_the_table() -> None:
    table = rules().may_import
    assert {"training", "native_host", "installer", "foundation", "cli"} <= set(table)
    assert {room(name) for name in modules()} <= set(table)
    assert rules().groups["paths"] == "foundation"
    assert room("panza.daemon.server.writer") == "server"


def test_each_room_imports_only_what_architecture_md_allows() -> None:
    broken = sorted(
        f"{source} ({room(source)}) imports {target} ({room(target)})"
        for source, targets in graph().items()
        for target in targets
        if not allowed(source, target)
    )
    assert broken == []


def test_the_import_graph_has_no_cycle() -> None:
    assert find_cycles(graph()) == []


def find_cycles(edges: dict[str, frozenset[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": frozenset("b"), "b": frozenset("c"), "c": frozenset()}, []),
        ({"a": frozenset("b"), "b": frozenset("c"), "c": frozenset("a")}, [["a", "b", "c"]]),
        ({"a": frozenset("b"), "b": frozenset("a"), "c": frozenset("a")}, [["a", "b"]]),
    ],
)
def test_the_cycle_finder_finds_cycles(
    edges: dict[str, frozenset[str]], expected: list[list[str]]
) -> None:
    assert find_cycles(edges) == expected


def test_imports_inside_functions_and_registry_strings_count() -> None:
    # sync.py names the sources only as "module:function" strings; writer.py imports
    # training inside functions. Both must show up, or the rules above check too little.
    assert "panza.daemon.sources.imap.sent" in graph()["panza.daemon.pipeline.sync"]
    assert "panza.training.prompt" in graph()["panza.daemon.server.writer"]


_IMPORT_THE_HOST = """
import importlib, json, pkgutil, sys
before = set(sys.modules)
import panza.native_host as host
for info in pkgutil.walk_packages(host.__path__, "panza.native_host."):
    importlib.import_module(info.name)
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def test_the_native_host_loads_only_the_standard_library() -> None:
    """The host starts for every browser request: no torch, pydantic or numpy, ever."""
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_THE_HOST], capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(out.stdout))
    assert "panza.native_host.relay" in loaded  # the walk really imported the host
    assert not {"torch", "pydantic", "numpy"} & loaded
    foreign = sorted(
        m
        for m in loaded
        if m.split(".")[0] not in sys.stdlib_module_names
        and m.split(".")[0] != "panza"
        and not m.startswith("_")  # the interpreter's own helpers (_distutils_hack ...)
    )
    assert foreign == []
    assert {m for m in loaded if m.startswith("panza.daemon")} <= {
        "panza.daemon",
        "panza.daemon.paths",
        "panza.daemon.peer",
        "panza.daemon.errors",
    }


def test_benchmarks_do_not_import_the_tests() -> None:
    """What benchmarks share with the tests comes from the package (or benchmarks/support.py)."""
    borrowing = set()
    for path in sorted((REPO / "benchmarks").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n.split(".")[0] == "tests" for n in names):
                borrowing.add(path.name)
    assert borrowing == set()
