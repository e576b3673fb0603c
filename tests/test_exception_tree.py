"""One exception tree per package (STYLE.md principle 5), read from the source.

Every exception class defined in ``panza.daemon``, ``panza.installer`` and
``panza.native_host`` derives from ``PanzaError``; every one in ``panza.training``
from ``TrainingError`` (training never imports the daemon). So an edge (the CLI, a
protocol reply, the tray, the training child's error event) catches one root.
"""

from __future__ import annotations

import ast
import builtins
from functools import cache

from tests.test_architecture import modules

PANZA_ERROR = "panza.daemon.errors.PanzaError"
TRAINING_ERROR = "panza.training.errors.TrainingError"
ROOTS = {
    "daemon": PANZA_ERROR,
    "installer": PANZA_ERROR,
    "native_host": PANZA_ERROR,
    "training": TRAINING_ERROR,
}


@cache
def tree(module: str) -> ast.Module:
    return ast.parse(modules()[module].read_text(encoding="utf-8"))


@cache
def defined() -> frozenset[str]:
    """Every class of the distribution by full name (``panza.daemon.errors.PanzaError``)."""
    return frozenset(
        f"{module}.{node.name}"
        for module in modules()
        for node in ast.walk(tree(module))
        if isinstance(node, ast.ClassDef)
    )


@cache
def imported_names(module: str) -> dict[str, str]:
    """The names ``module`` binds by import, each to the full name it stands for."""
    path = modules()[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: dict[str, str] = {}
    for node in ast.walk(tree(module)):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.update({a.asname or a.name: f"{base}.{a.name}" for a in node.names})
        elif isinstance(node, ast.Import):
            names.update({a.asname or a.name.split(".")[0]: a.name for a in node.names})
    return names


@cache
def classes() -> dict[str, tuple[str, ...]]:
    """Every class of the distribution by full name, with its bases' full names."""
    found: dict[str, tuple[str, ...]] = {}
    for module in modules():
        local = {n.name for n in ast.walk(tree(module)) if isinstance(n, ast.ClassDef)}
        for node in ast.walk(tree(module)):
            if isinstance(node, ast.ClassDef):
                bases = (_resolve(module, local, ast.unparse(b)) for b in node.bases)
                found[f"{module}.{node.name}"] = tuple(bases)
    return found


def _resolve(module: str, local: set[str], text: str) -> str:
    head, dot, rest = text.partition(".")
    if head in local and not dot:
        return f"{module}.{head}"
    imported = imported_names(module).get(head)
    return canonical(imported + dot + rest) if imported else text


def canonical(name: str) -> str:
    """Follow re-exports (``from panza.x import Error`` in another module) to the definition."""
    module, _, attr = name.rpartition(".")
    if name in defined() or module not in modules():
        return name
    again = imported_names(module).get(attr)
    return canonical(again) if again and again != name else name


def ancestors(name: str) -> set[str]:
    seen: set[str] = set()
    todo = [name]
    while todo:
        for base in classes().get(todo.pop(), ()):
            if base not in seen:
                seen.add(base)
                todo.append(base)
    return seen


def is_exception(name: str) -> bool:
    outside = (a for a in ancestors(name) if a not in classes())
    return any(isinstance(k, type) and issubclass(k, BaseException) for k in map(_builtin, outside))


def _builtin(name: str) -> object:
    return getattr(builtins, name, None) if "." not in name else None


def test_every_exception_derives_from_its_packages_root() -> None:
    strays = sorted(
        f"{name} ({', '.join(classes()[name])})"
        for name in classes()
        if is_exception(name)
        and name not in ROOTS.values()
        and ROOTS[name.split(".")[1]] not in ancestors(name)
    )
    assert strays == []


def test_the_walk_sees_the_exceptions_and_their_roots() -> None:
    # Guards the test above against passing on an empty or misread tree.
    seen = {name for name in classes() if is_exception(name)}
    assert {
        PANZA_ERROR,
        TRAINING_ERROR,
        "panza.daemon.protocol.ProtocolError",
        "panza.daemon.server.writer.DraftCancelled",
        "panza.installer.host_roundtrip.HostCheckError",
        "panza.training.rosa.errors.AdapterFormatError",
    } <= seen
    assert TRAINING_ERROR in ancestors("panza.training.rosa.errors.MaskError")
    assert "panza.daemon.sources.gmail.inbox.DraftGone" in seen  # a subclass of a subclass
    assert not is_exception("panza.daemon.server.writer.Draft")
