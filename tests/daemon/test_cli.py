"""The `panza` CLI as a user runs it: real subprocesses, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from panza.daemon.demo.sample import generate, write_mbox
from tests.daemon_process import panza

pytestmark = pytest.mark.process  # runs the panza command as a child process

ME = [
    "--name",
    "Ada Whitfield",
    "--email",
    "ada@whitfield.example",
    "--email",
    "ada.whitfield@lab.example",
]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    result = panza("init", *ME, home=home)
    assert result.returncode == 0, result.stderr
    return home


@pytest.fixture
def mbox(tmp_path: Path) -> Path:
    path = tmp_path / "sent.mbox"
    write_mbox(path, generate(60, seed=3))
    return path


def test_init_from_flags_without_terminal(tmp_path: Path) -> None:
    result = panza("init", *ME, "--language", "en", "--language", "de", home=tmp_path / "h")
    assert result.returncode == 0
    assert result.stdout.strip() == f"Wrote {tmp_path / 'h' / 'config.toml'}"
    shown = panza("config", home=tmp_path / "h").stdout
    assert 'emails = [\n    "ada@whitfield.example",\n    "ada.whitfield@lab.example",\n]' in shown
    assert '"de"' in shown


def test_init_without_flags_and_terminal_explains(tmp_path: Path) -> None:
    result = panza("init", home=tmp_path / "h")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "panza: error: no terminal to ask on: pass --name NAME --email ADDRESS"
    )


def test_init_refuses_to_overwrite(home: Path) -> None:
    result = panza("init", *ME, home=home)
    assert result.returncode == 2 and "use --force" in result.stderr
    assert panza("init", *ME, "--force", home=home).returncode == 0


def test_init_rejects_bad_address(tmp_path: Path) -> None:
    result = panza("init", "--name", "Ada", "--email", "nope", home=tmp_path / "h")
    assert result.returncode == 2
    assert "not an email address: 'nope'" in result.stderr
    assert not (tmp_path / "h" / "config.toml").exists()


def test_import_is_idempotent_and_summarises(home: Path, mbox: Path) -> None:
    first = panza("import", str(mbox), home=home)
    assert first.returncode == 0, first.stderr
    expected = generate(60, seed=3)
    kept = sum(m.keep for m in expected)
    assert first.stdout.startswith(
        f"sent.mbox: 60 messages: {kept} kept, {60 - kept} discarded, 0 already stored"
    )
    assert "discarded" in first.stdout and "not_from_user" in first.stdout
    second = panza("import", str(mbox), home=home)
    assert second.stdout.splitlines()[0] == (
        "sent.mbox: 60 messages: 0 kept, 0 discarded, 60 already stored"
    )


def test_emails_list_json_and_export(home: Path, mbox: Path, tmp_path: Path) -> None:
    panza("import", str(mbox), home=home)
    expected = {m.message_id: m for m in generate(60, seed=3)}
    listed = json.loads(panza("emails", "--json", home=home).stdout)
    assert {e["message_id"] for e in listed} == {k for k, m in expected.items() if m.keep}
    for e in listed:
        assert " ".join(e["text"].split()) == " ".join(
            (expected[e["message_id"]].text or "").split()
        )
    discarded = json.loads(panza("emails", "--discarded", "--json", home=home).stdout)
    assert {e["message_id"]: e["reason"] for e in discarded} == {
        k: m.reason for k, m in expected.items() if not m.keep
    }
    out = tmp_path / "kept.jsonl"
    result = panza("emails", "--export", str(out), home=home)
    assert result.stdout.strip() == f"Wrote {len(listed)} emails to {out}"
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == len(listed)
    assert {"message_id", "date", "subject", "text", "thread"} <= set(rows[0])
    table = panza("emails", "--limit", "2", home=home).stdout.splitlines()
    assert table[-1] == "2 kept emails" and len(table) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "/no/such.mbox"], "panza: error: no such file: /no/such.mbox"),
        (["emails", "--limit", "-1"], "panza: error: --limit must be 0 or more"),
    ],
)
def test_user_errors_are_one_line(home: Path, args: list[str], message: str) -> None:
    result = panza(*args, home=home)
    assert result.returncode == 2
    assert result.stderr.strip() == message


def test_not_an_mbox(home: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("just some notes\n")
    result = panza("import", str(notes), home=home)
    assert result.returncode == 2
    assert "is not an mbox file" in result.stderr and "Traceback" not in result.stderr


def test_bad_config_lists_problems(tmp_path: Path) -> None:
    home = tmp_path / "h"
    home.mkdir()
    (home / "config.toml").write_text('[user]\nname = "Ada"\nemail = ["a@b.example"]\n')
    result = panza("config", home=home)
    assert result.returncode == 2
    assert "user.email: unknown key (did you mean 'emails'?)" in result.stderr
    assert "user.emails: required" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_config_yet(tmp_path: Path) -> None:
    result = panza("emails", home=tmp_path / "h")
    assert result.returncode == 0  # listing an empty store needs no config
    result = panza("import", "x.mbox", home=tmp_path / "h")
    assert result.returncode == 2 and "panza init" in result.stderr


def test_init_asks_on_a_terminal(tmp_path: Path) -> None:
    import pty

    home = tmp_path / "h"
    leader, follower = pty.openpty()
    env = {**os.environ, "PANZA_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "panza.daemon.cli", "init"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        close_fds=True,
    )
    os.close(follower)
    os.write(leader, b"Ada Whitfield\nada@whitfield.example, ada.w@lab.example\n")
    output = b""
    while True:
        try:
            chunk = os.read(leader, 1024)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        output += chunk
    assert proc.wait(timeout=60) == 0
    os.close(leader)
    assert b"Your name" in output and b"Addresses you send from" in output
    shown = panza("config", home=home).stdout
    assert 'name = "Ada Whitfield"' in shown
    assert '"ada.w@lab.example"' in shown
