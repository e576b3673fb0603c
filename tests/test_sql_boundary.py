"""SQL lives in ``daemon/store/`` only: no other module of the distribution holds a statement.

Every string literal is parsed out of the source (adjacent literals joined as Python
joins them, f-strings with their placeholders blanked) and matched against the
opening of an SQL statement, so a query cannot hide in a handler or a source again.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("daemon", "training", "native_host", "installer")
STORE = REPO / "daemon" / "store"

# The opening of a statement, anchored at the start of the literal (leading blanks allowed).
STATEMENT = re.compile(
    r"^\s*(?:SELECT\s.+\sFROM\s|SELECT\s+(?:count|max|min|1|\{)|INSERT\s+(?:OR\s+\w+\s+)?INTO\s"
    r"|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|REPLACE\s+INTO\s|PRAGMA\s+\w+"
    r"|CREATE\s+(?:TABLE|INDEX|UNIQUE|TRIGGER|VIEW)\s|DROP\s+\w+\s|ALTER\s+TABLE\s"
    r"|BEGIN(?:\s+IMMEDIATE|\s+EXCLUSIVE)?\s*;?\s*$|COMMIT\s*;?\s*$|ROLLBACK\s*;?\s*$)",
    re.DOTALL,  # keywords upper-case, as every statement in the tree writes them
)


def literals(source: str) -> list[tuple[int, str]]:
    """Each string literal of ``source`` with its line; an f-string's fields read ``{}``."""
    found: list[tuple[int, str]] = []
    tree = ast.parse(source)
    inside_fstring = {
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part in node.values
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(
                p.value if isinstance(p, ast.Constant) and isinstance(p.value, str) else "{}"
                for p in node.values
            )
            found.append((node.lineno, text))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in inside_fstring
        ):
            found.append((node.lineno, node.value))
    return found


def statements_in(path: Path) -> list[str]:
    return [
        f"{path.relative_to(REPO)}:{line}: {text.strip()[:60]!r}"
        for line, text in literals(path.read_text(encoding="utf-8"))
        if STATEMENT.match(text)
    ]


def test_no_sql_statement_outside_the_store() -> None:
    outside = [
        hit
        for package in PACKAGES
        for path in sorted((REPO / package).rglob("*.py"))
        if STORE not in path.parents
        for hit in statements_in(path)
    ]
    assert outside == []


def test_the_store_is_where_the_statements_are() -> None:
    """The check sees the statements it guards against (a broken pattern passes vacuously)."""
    assert len([h for p in sorted(STORE.rglob("*.py")) for h in statements_in(p)]) >= 30


@pytest.mark.parametrize(
    "source",
    [
        'conn.execute("SELECT id, text FROM emails WHERE id = ?", (1,))',
        'conn.execute(\n    "UPDATE drafts SET sent_text = ?"\n    " WHERE id = ?", args)',
        'conn.execute(f"DELETE FROM emails WHERE id IN ({marks})", ids)',
        'sql = """\n    INSERT OR IGNORE INTO meta (key) VALUES (?)\n"""',
        'conn.execute(f"SELECT {NOW}")',
        'conn.execute("PRAGMA quick_check")',
    ],
)
def test_a_statement_is_found_however_it_is_written(source: str) -> None:
    assert any(STATEMENT.match(text) for _, text in literals(source))


@pytest.mark.parametrize(
    "source",
    [
        '"""What SELECT/EXAMINE reported about the folder."""',
        'client.select_folder("INBOX")',
        'log.info("update the index, then select the best %d", k)',
        'raise UserError("Delete from the config the account you no longer use")',
        '"Selected text from the compose window"',
    ],
)
def test_prose_and_imap_commands_are_not_statements(source: str) -> None:
    assert not any(STATEMENT.match(text) for _, text in literals(source))
