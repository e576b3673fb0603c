"""`panza autodraft on|off` and `panza drafts`, the config's autodraft section, and a reply
sent from a Panza draft turning into the acceptance figure (fast: no model, no server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from panza.daemon.autodraft.outcomes import match_sent_replies
from panza.daemon.config import UserConfig, load_config
from panza.daemon.config.edit import add_account
from panza.daemon.config.load import parse_config
from panza.daemon.config.starter import starter_config
from panza.daemon.demo.sample import PERSONA
from panza.daemon.errors import ConfigError
from panza.daemon.pipeline.feedback import acceptance
from panza.daemon.store import EmailRecord, Store, insert_emails
from panza.daemon.store.autodraft import Seen, add_seen, in_state, set_intent, set_written
from panza.daemon.store.db import now
from panza.daemon.store.drafts import add_draft
from tests.daemon_process import panza


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    user = UserConfig(name=PERSONA.name, emails=[PERSONA.address, PERSONA.alias])
    (home / "config.toml").write_text(starter_config(user), encoding="utf-8")
    add_account(home / "config.toml", "work", {"kind": "imap", "host": "h", "user": "u"})
    add_account(home / "config.toml", "mail", {"kind": "imap", "host": "h", "user": "v"})
    return home


def test_autodraft_is_off_by_default_and_turned_on_per_account(home: Path) -> None:
    config = load_config(home / "config.toml")
    assert not any(a.autodraft for a in config.accounts.values())

    on = panza("autodraft", "on", "--account", "work", home=home)
    assert on.returncode == 0, on.stderr
    assert on.stdout.startswith("Autodraft on for work\n") and "never sends" in on.stdout
    config = load_config(home / "config.toml")
    assert config.accounts["work"].autodraft and not config.accounts["mail"].autodraft

    assert panza("autodraft", "on", home=home).returncode == 0
    assert all(a.autodraft for a in load_config(home / "config.toml").accounts.values())
    assert panza("autodraft", "off", "--account", "mail", home=home).returncode == 0
    config = load_config(home / "config.toml")
    assert config.accounts["work"].autodraft and not config.accounts["mail"].autodraft

    missing = panza("autodraft", "on", "--account", "nope", home=home)
    assert missing.returncode == 2
    assert "no account named 'nope' (see: panza account list)" in missing.stderr


def test_gmail_without_the_compose_scope_or_a_client_is_refused(
    home: Path, test_keyring: dict[str, str]
) -> None:
    add_account(home / "config.toml", "gm", {"kind": "gmail"})
    refused = panza("autodraft", "on", "--account", "gm", home=home)
    assert refused.returncode != 0
    assert "no Google sign-in in the keyring; re-authentication needed" in refused.stderr
    assert not load_config(home / "config.toml").accounts["gm"].autodraft


def test_the_autodraft_section_is_checked() -> None:
    base = '[user]\nname = "A"\nemails = ["a@b.example"]\n'
    good = parse_config((base + '[autodraft]\nallow = ["@Lab.example", "x@y.org"]\n').encode())
    assert good.autodraft.allow == ["lab.example", "x@y.org"] and good.autodraft.per_hour == 10
    with pytest.raises(ConfigError) as bad:
        parse_config((base + '[autodraft]\ndeny = ["not a sender"]\nper_hour = 0\n').encode())
    assert "autodraft.deny" in str(bad.value) and "autodraft.per_hour" in str(bad.value)


def test_panza_drafts_lists_states_and_reasons(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANZA_HOME", str(home))
    assert "No background drafts yet" in panza("drafts", home=home).stdout
    with Store(home / "data" / "panza.db") as store, store.write() as conn:
        add_seen(
            conn, "work", [_seen("1:1", "Talk", None), _seen("1:2", "News", "mailing_list", age=5)]
        )
    shown = panza("drafts", home=home).stdout.splitlines()
    assert "waiting to be drafted" in shown[0] and "priya@uni.example: Talk" in shown[0]
    assert "skipped (mailing_list)" in shown[1]
    assert shown[2] == "All: 1 skipped, 1 pending; 0 written in the last hour (limit 10)"
    assert "News" not in panza("drafts", "--no-skipped", home=home).stdout


def _seen(pid: str, subject: str, reason: str | None, age: int = 0) -> Seen:
    return Seen(
        provider_id=pid,
        folder="INBOX",
        message_id=f"<{pid}@uni.example>",
        thread_key=f"<{pid}@uni.example>",
        sender="priya@uni.example",
        subject=subject,
        received_at=datetime.now(UTC) - timedelta(hours=2, minutes=age),
        reason=reason,
    )


def test_a_reply_sent_from_a_panza_draft_records_how_much_survived(tmp_path: Path) -> None:
    with Store(tmp_path / "panza.db") as store:
        with store.write() as conn:
            add_seen(conn, "work", [_seen("1:1", "Talk", None)])
            add_draft(conn, "d1", "reply", "Reply", "Dear Priya, yes I will give the talk.")
            set_intent(
                conn, "work", "1:1", message_id="<x@a>", raw=b"x", draft_id="d1", adapter_version=1
            )
            set_written(conn, "work", "1:1", "1:9")
        since = now(store.conn)
        sent = EmailRecord(
            account="work",
            provider_id="s1",
            message_id="<s1@a>",
            date=datetime.now(UTC),
            subject="Re: Talk",
            recipients=("priya@uni.example",),
            text="Dear Priya, yes I will gladly give the talk.",
            thread=(),
            status="kept",
            thread_key="<1:1@uni.example>",
        )
        with store.write() as conn:
            insert_emails(conn, [sent], 0.0)
        assert match_sent_replies(store, since) == 1
        assert match_sent_replies(store, since) == 0  # matched once
        [entry] = in_state(store.conn, ("sent",), "work")
        assert entry.draft_id == "d1"
        figure = acceptance(store.conn)
        assert figure["drafts_with_feedback"] == 1 and 0.8 < figure["mean_similarity"] < 1.0


def test_the_tray_shows_replies_waiting_only_when_autodraft_is_on() -> None:
    from panza.daemon.tray.text import status_lines

    counts = {"written": 3, "pending": 1, "skipped": 9}
    on = {
        "emails": {"kept": 5},
        "accounts": [],
        "autodraft": {"accounts": ["work"], "counts": counts},
    }
    assert "Replies in Drafts: 3, waiting: 1" in status_lines(on, 0.0)
    off = {**on, "autodraft": {"accounts": [], "counts": counts}}
    assert not any(line.startswith("Replies") for line in status_lines(off, 0.0))
