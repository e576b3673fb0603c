"""Fixtures for the daemon tests: a config, cleaning rules, a store, literal messages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from panza.daemon.config import Config, UserConfig
from panza.daemon.mail.clean import CleanRules
from panza.daemon.store import Store

ME = "ada@whitfield.example"


@pytest.fixture
def config() -> Config:
    return Config(
        user=UserConfig(name="Ada Whitfield", emails=[ME, "ada.w@lab.example"], languages=["en"])
    )


@pytest.fixture
def rules(config: Config) -> CleanRules:
    return CleanRules.from_config(config)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "panza.db") as s:
        yield s


MakeMessage = Callable[..., bytes]


@pytest.fixture
def make_message() -> MakeMessage:
    """Build a literal RFC 5322 message; headers and body are taken as given."""

    def make(
        body: str | bytes = "Hello Tom,\n\nThe report is attached as promised.\n\nBest,\nAda\n",
        *,
        sender: str = f"Ada Whitfield <{ME}>",
        subject: str = "Report",
        message_id: str | None = "<m1@whitfield.example>",
        date: str | None = "Mon, 08 Jan 2024 09:00:00 +0000",
        content_type: str = 'text/plain; charset="utf-8"',
        cte: str = "8bit",
        extra: str = "",
    ) -> bytes:
        head = f"From: {sender}\nTo: Tom <tom@partner.example>\nSubject: {subject}\n"
        if date is not None:
            head += f"Date: {date}\n"
        if message_id is not None:
            head += f"Message-ID: {message_id}\n"
        head += f"MIME-Version: 1.0\nContent-Type: {content_type}\n"
        head += f"Content-Transfer-Encoding: {cte}\n{extra}\n"
        data = body if isinstance(body, bytes) else body.encode("utf-8")
        return head.encode("utf-8") + data

    return make
