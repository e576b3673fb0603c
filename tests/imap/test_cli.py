"""``panza account add imap`` and ``panza sync`` as a user runs them, against Dovecot."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from panza.daemon.demo.sample import PERSONA, generate
from panza.daemon.demo.sample.dovecot import PASSWORD, append
from panza.daemon.secrets import get_secret
from tests.imap.conftest import Setup

pytestmark = pytest.mark.integration


def panza(
    *args: str, home: Path, env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "panza.daemon.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env, "PANZA_HOME": str(home)},
        input=stdin,
        timeout=120,
    )


@pytest.fixture
def home(tmp_path: Path, test_keyring: dict[str, str]) -> Path:
    home = tmp_path / "home"
    done = panza(
        "init", "--name", PERSONA.name, "--email", PERSONA.address, home=home, env=test_keyring
    )
    assert done.returncode == 0, done.stderr
    return home


def add_args(mailbox: Setup, *extra: str) -> list[str]:
    return [
        "account",
        "add",
        "imap",
        "work",
        "--host",
        "127.0.0.1",
        "--port",
        str(mailbox.server.tls_port),
        "--user",
        mailbox.user,
        "--ca-file",
        str(mailbox.ca_file),
        *extra,
    ]


def test_add_verifies_the_login_reports_the_folder_and_syncs(
    home: Path, mailbox: Setup, test_keyring: dict[str, str]
) -> None:
    added = panza(
        *add_args(mailbox, "--password-stdin"), home=home, env=test_keyring, stdin=PASSWORD + "\n"
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.splitlines() == [
        f"Logged in to 127.0.0.1:{mailbox.server.tls_port}.",
        "Sent folder: Sent (marked \\Sent by the server)",
        "Added account work. Pull its sent mail with: panza sync --account work",
    ]
    config = (home / "config.toml").read_text()
    assert "[accounts.work]" in config and f'ca_file = "{mailbox.ca_file}"' in config
    assert PASSWORD not in config
    assert get_secret("work", "password") == PASSWORD

    listed = panza("account", "list", home=home, env=test_keyring)
    assert listed.stdout.split() == ["work", "imap", "127.0.0.1", "never", "synced"]

    append(mailbox.admin(), [m.raw for m in generate(30, seed=41)])
    synced = panza("sync", "--account", "work", home=home, env=test_keyring)
    assert synced.returncode == 0, synced.stderr
    kept, discarded = synced.stdout.split()[1], synced.stdout.split()[4]
    assert int(kept) + int(discarded) == 30
    assert synced.stdout.strip().endswith("new discarded, 0 already stored")
    again = panza("sync", home=home, env=test_keyring)
    assert again.stdout.strip() == "work: 0 new kept, 0 new discarded, 0 already stored"
    for out in (added, synced, again):
        assert PASSWORD not in out.stdout + out.stderr and mailbox.user not in out.stderr


def test_verbose_sync_logs_no_mail_content_or_secrets(
    home: Path, mailbox: Setup, test_keyring: dict[str, str]
) -> None:
    added = panza(
        *add_args(mailbox, "--password-stdin"), home=home, env=test_keyring, stdin=PASSWORD
    )
    assert added.returncode == 0, added.stderr
    messages = generate(5, seed=42)
    append(mailbox.admin(), [m.raw for m in messages])
    verbose = panza("-v", "sync", home=home, env=test_keyring)
    assert verbose.returncode == 0, verbose.stderr
    assert "DEBUG" in verbose.stderr  # -v did turn debug logging on
    for secret in (PASSWORD, mailbox.user, PERSONA.address, "Subject:", "Message-ID"):
        assert secret not in verbose.stderr
    for m in messages:
        assert (m.text or "")[:20] not in verbose.stderr


def test_wrong_password_is_one_line_exit_2_and_nothing_is_saved(
    home: Path, own_mailbox: Setup, test_keyring: dict[str, str]
) -> None:
    before = (home / "config.toml").read_bytes()
    refused = panza(
        *add_args(own_mailbox, "--password-stdin"), home=home, env=test_keyring, stdin="nope\n"
    )
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.count("\n") == 1
    assert refused.stderr.startswith(
        "panza: error: cannot add account work: 127.0.0.1 refused the user name or password"
    )
    assert "nope" not in refused.stderr
    assert (home / "config.toml").read_bytes() == before
    assert get_secret("work", "password") is None


def test_password_comes_only_from_stdin_or_a_terminal(
    home: Path, mailbox: Setup, test_keyring: dict[str, str]
) -> None:
    no_tty = panza(*add_args(mailbox), home=home, env=test_keyring)
    assert no_tty.returncode == 2
    assert no_tty.stderr.strip() == (
        "panza: error: no terminal to ask for the password on: pipe it in with --password-stdin"
    )
    as_flag = panza(*add_args(mailbox, "--password", PASSWORD), home=home, env=test_keyring)
    assert as_flag.returncode == 2 and "unrecognized arguments" in as_flag.stderr


def test_folder_choice_can_be_overridden_and_is_checked(
    home: Path, mailbox: Setup, test_keyring: dict[str, str]
) -> None:
    missing = panza(
        *add_args(mailbox, "--password-stdin", "--folder", "Outbox"),
        home=home,
        env=test_keyring,
        stdin=PASSWORD,
    )
    assert missing.returncode == 2
    assert "there is no folder 'Outbox' on the server (folders: " in missing.stderr
    assert get_secret("work", "password") is None
    chosen = panza(
        *add_args(mailbox, "--password-stdin", "--folder", "INBOX"),
        home=home,
        env=test_keyring,
        stdin=PASSWORD,
    )
    assert chosen.returncode == 0, chosen.stderr
    assert "Sent folder: INBOX (chosen with --folder)" in chosen.stdout
    assert 'folder = "INBOX"' in (home / "config.toml").read_text()


def test_untrusted_certificate_is_refused_with_a_hint(
    home: Path, mailbox: Setup, test_keyring: dict[str, str]
) -> None:
    args = add_args(mailbox, "--password-stdin")
    args = args[: args.index("--ca-file")] + args[args.index("--ca-file") + 2 :]
    refused = panza(*args, home=home, env=test_keyring, stdin=PASSWORD)
    assert refused.returncode == 2
    assert refused.stderr.startswith(
        "panza: error: cannot add account work: the TLS certificate of 127.0.0.1 is not trusted"
    )
    assert "pass it with --ca-file PEM" in refused.stderr
    assert get_secret("work", "password") is None


def _read_until(fd: int, marker: bytes, timeout: float = 60) -> bytes:
    """What the terminal shows until ``marker`` (or until the process closes it)."""
    out, deadline = b"", time.monotonic() + timeout
    while marker not in out and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        out += chunk
    return out


def test_password_prompt_on_a_terminal_does_not_echo(
    home: Path, mailbox: Setup, test_keyring: dict[str, str]
) -> None:
    leader, follower = pty.openpty()

    def controlling_terminal() -> None:  # getpass talks to /dev/tty, i.e. this pty
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(
        [sys.executable, "-m", "panza.daemon.cli", *add_args(mailbox)],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**os.environ, **test_keyring, "PANZA_HOME": str(home)},
        start_new_session=True,
        preexec_fn=controlling_terminal,
    )
    os.close(follower)
    try:
        shown = _read_until(leader, b"IMAP password for work: ")
        os.write(leader, PASSWORD.encode() + b"\n")
        shown += _read_until(leader, b"panza sync --account work")
    finally:
        assert proc.wait(timeout=60) == 0
        os.close(leader)
    assert b"IMAP password for work: " in shown
    assert b"Sent folder: Sent (marked \\Sent by the server)" in shown
    assert PASSWORD.encode() not in shown  # not echoed
    assert get_secret("work", "password") == PASSWORD


def test_oauth2_account_keeps_its_token_in_the_keyring(
    home: Path, mailbox: Setup, test_keyring: dict[str, str]
) -> None:
    # Dovecot's test passdb accepts the password as the XOAUTH2 bearer token.
    added = panza(
        *add_args(mailbox, "--oauth2", "--password-stdin"),
        home=home,
        env=test_keyring,
        stdin=PASSWORD,
    )
    assert added.returncode == 0, added.stderr
    assert 'auth = "oauth2"' in (home / "config.toml").read_text()
    assert get_secret("work", "token") == PASSWORD
    assert get_secret("work", "password") is None
    append(mailbox.admin(), [m.raw for m in generate(2, seed=43)])
    synced = panza("sync", home=home, env=test_keyring)
    assert synced.returncode == 0 and "already stored" in synced.stdout
