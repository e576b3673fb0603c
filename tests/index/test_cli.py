"""`panza index` and `panza search` as a user runs them (in-process, so the model loads once)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from panza.daemon import paths
from panza.daemon.cli import main
from panza.daemon.index import SentenceEmbedder
from panza.daemon.store import Store
from tests.index.corpus import CORPUS, add_emails

pytestmark = pytest.mark.process  # runs the panza command as a child process


@pytest.fixture
def home(panza_home: Path, embedder: SentenceEmbedder) -> Path:
    assert main(["init", "--name", "Ada Whitfield", "--email", "ada@whitfield.example"]) == 0
    with Store(paths.resolve().db_file) as store:
        add_emails(store, CORPUS)
    return panza_home


def test_index_then_index_again_embeds_nothing_and_rebuild_embeds_all(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["index"]) == 0
    out = capsys.readouterr().out
    assert "Rebuilt the index: there is no index yet" in out
    assert f"Embedded {len(CORPUS)}, removed 0" in out
    assert out.rstrip().endswith(f"Index: {len(CORPUS)} emails")
    assert main(["index"]) == 0
    assert "Embedded 0, removed 0" in capsys.readouterr().out
    assert (home / "data" / "index" / "manifest.json").is_file()
    assert main(["index", "--rebuild"]) == 0
    out = capsys.readouterr().out
    assert "Rebuilt the index: a rebuild was asked for" in out
    assert f"Embedded {len(CORPUS)}, removed 0" in out


def test_search_json_prints_one_array(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["search", "send the zoom link for the seminar", "--json", "--k", "3"]) == 0
    out, err = capsys.readouterr()
    hits = json.loads(out)  # stdout is exactly one JSON array, progress goes to stderr
    assert isinstance(hits, list) and 1 <= len(hits) <= 3
    assert all(set(h) == {"id", "score", "subject", "date", "text"} for h in hits)
    assert hits[0]["subject"] == CORPUS[0][0] and hits[0]["text"] == CORPUS[0][1]
    assert f"Embedded {len(CORPUS)}" in err  # the first search built the index


def test_search_prints_a_readable_list(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["search", "book a table for dinner on Friday"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert "Dinner on Friday?" in first
    assert main(["search", "tax filing for a bakery in Ohio"]) == 0
    assert "No stored email scores" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search", "zoom", "--k", "0"], "--k must be between 1 and 100"),
        (["search", ""], "the query is empty"),
        (["search", "  "], "the query is empty"),
        (["search", "zoom", "--threshold", "2"], "--threshold is a cosine similarity"),
    ],
)
def test_bad_search_input_is_one_line_and_exit_code_2(
    home: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    capsys.readouterr()
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"panza: error: {err.removeprefix('panza: error: ')}"
    assert message in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_bad_k_from_a_real_process(home: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "panza.daemon.cli", "search", "zoom", "--k", "0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr == "panza: error: --k must be between 1 and 100\n"
