"""Autodraft fixtures: a trained tiny adapter (once per session), a real Dovecot over TLS,
an inbox with a mix of mail, and the real writer drafting in-process."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from imapclient import IMAPClient

from panza.daemon import paths
from panza.daemon.autodraft.engine import DraftFn
from panza.daemon.autodraft.imap_watch import ImapWatcher
from panza.daemon.config import Config, load_config
from panza.daemon.protocol import DraftParams
from panza.daemon.server.operations import Service
from panza.daemon.server.writer import Draft, Writer
from panza.daemon.store import Store
from tests.imap.conftest import Setup, dovecot_bin, server, setup, tls_files, user  # noqa: F401
from tests.model_fixtures import one_torch_thread, tiny_base, train_first_version  # noqa: F401

ADA = "ada@whitfield.example"
ALIAS = "ada.whitfield@lab.example"
NOW = datetime.now(UTC)


@pytest.fixture(scope="session")
def trained_home(tiny_base: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    """A home with adapter v0001 of the tiny model (training is the slow part: once)."""
    home = tmp_path_factory.mktemp("autodraft") / "trained"
    write_config(home, tiny_base, None)
    return train_first_version(home)


def write_config(home: Path, base: Path, mail: Setup | None, **autodraft: object) -> None:
    account = ""
    if mail is not None:
        account = (
            f'[accounts.work]\nkind = "imap"\nhost = "127.0.0.1"\nport = {mail.server.tls_port}\n'
            f"user = {json.dumps(mail.user)}\nca_file = {json.dumps(str(mail.ca_file))}\n"
            "autodraft = true\n\n"
        )
    section = {"max_new_tokens": 12, **autodraft}
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'[user]\nname = "Ada Whitfield"\nemails = ["{ADA}", "{ALIAS}"]\n\n'
        f'[model]\nbase = {json.dumps(str(base))}\nplayback = "subject"\n\n'
        "[training]\nepochs = 2\nbatch_size = 4\nmicro_batch_size = 4\nlearning_rate = 0.01\n"
        "max_length = 256\nrag_share = 0.0\n\n"
        f"{account}[autodraft]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in section.items()),
        encoding="utf-8",
    )


class Home:
    """A copy of the trained home with the test's IMAP account turned on for autodraft."""

    def __init__(self, root: Path, mail: Setup) -> None:
        self.root = root
        self.setup = mail
        self.store = Store(paths.resolve().db_file)
        self.service = Service(paths.resolve(), load_config(root / "config.toml"), self.store)
        self.writer = Writer(self.service)
        self.drafted = 0

    @property
    def config(self) -> Config:
        return self.service.config

    def draft(self, params: DraftParams) -> Draft | None:
        """The real writer, as the daemon's background scheduler runs it."""
        self.drafted += 1
        return self.writer.write(params, lambda _t: None, threading.Event())

    def watcher(self, draft: DraftFn | None = None) -> ImapWatcher:
        return ImapWatcher("work", self.store, lambda: self.config, draft or self.draft)

    def close(self) -> None:
        self.store.close()


@pytest.fixture
def home(
    trained_home: Path,
    tiny_base: Path,  # noqa: F811
    setup: Setup,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Home]:
    root = tmp_path / "home"
    shutil.copytree(trained_home, root)
    write_config(root, tiny_base, setup)
    monkeypatch.setenv("PANZA_HOME", str(root))
    made = Home(root, setup)
    yield made
    made.close()


def message(
    sender: str,
    to: str,
    subject: str,
    msgid: str,
    *,
    extra: str = "",
    cc: str = "",
    age: timedelta = timedelta(hours=2),
    body: str = "Could you let me know by Friday?\r\n",
    content_type: str = "text/plain; charset=utf-8",
) -> bytes:
    from email.utils import format_datetime

    lines = [
        f"From: {sender}",
        f"To: {to}",
        *([f"Cc: {cc}"] if cc else []),
        f"Subject: {subject}",
        f"Date: {format_datetime(NOW - age)}",
        f"Message-ID: {msgid}",
        *([extra] if extra else []),
        "MIME-Version: 1.0",
        f"Content-Type: {content_type}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


INVITE_BODY = (
    "--b\r\nContent-Type: text/plain\r\n\r\nGroup meeting on Monday.\r\n"
    "--b\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    "--b--\r\n"
)

# (raw message, flags, age) of the inbox mix; the first three deserve a reply.
MIX: tuple[tuple[bytes, tuple[bytes, ...], timedelta], ...] = (
    (
        message(
            "Priya Raman <priya@uni.example>",
            f"Ada <{ADA}>",
            "Invitation to speak",
            "<p1@uni.example>",
        ),
        (),
        timedelta(hours=3),
    ),
    (
        message("Tom <tom@lab.example>", ALIAS, "Cluster budget", "<t1@lab.example>"),
        (b"\\Seen",),
        timedelta(hours=2),
    ),
    (
        message(
            "julia@uni.example", "anna@uni.example", "Paris workshop", "<j1@uni.example>", cc=ADA
        ),
        (),
        timedelta(hours=1),
    ),
    (
        message(
            "news@journal.example",
            ADA,
            "This week in science",
            "<n1@journal.example>",
            extra="List-Unsubscribe: <mailto:leave@journal.example>",
        ),
        (),
        timedelta(hours=1),
    ),
    (
        message(
            "bob@uni.example",
            "lab-all@uni.example",
            "Seminar",
            "<b1@uni.example>",
            cc=ADA,
            extra="List-Id: Lab <lab-all.uni.example>",
        ),
        (),
        timedelta(hours=1),
    ),
    (
        message(
            "anna@uni.example",
            ADA,
            "Out of office",
            "<a1@uni.example>",
            extra="Auto-Submitted: auto-replied",
        ),
        (),
        timedelta(hours=1),
    ),
    (
        message(
            "cal@uni.example",
            ADA,
            "Group meeting",
            "<c1@uni.example>",
            body=INVITE_BODY,
            content_type='multipart/mixed; boundary="b"',
        ),
        (),
        timedelta(hours=1),
    ),
    (
        message("max@uni.example", ADA, "Answered already", "<m1@uni.example>"),
        (b"\\Seen", b"\\Answered"),
        timedelta(hours=1),
    ),
    (
        message("old@uni.example", ADA, "An old question", "<o1@uni.example>"),
        (),
        timedelta(days=10),
    ),
)


def seed(
    client: IMAPClient, mix: tuple[tuple[bytes, tuple[bytes, ...], timedelta], ...] = MIX
) -> None:
    for raw, flags, age in mix:
        client.append("INBOX", raw, flags=flags, msg_time=NOW - age)
