"""Reading literal FETCH items: Message-IDs match what the store keeps (dedupe before download)."""

from __future__ import annotations

import pytest

from panza.daemon.mail.parse import parse_message
from panza.daemon.sources.imap.items import fetched_message_id

KEY = b"BODY[HEADER.FIELDS (MESSAGE-ID)]"


@pytest.mark.parametrize(
    "header",
    [
        b"Message-ID: <sample.1@whitfield.example>\r\n\r\n",
        b"Message-Id:\r\n <folded@whitfield.example>\r\n\r\n",
        b"message-id: <a@b> (comment)\r\n\r\n",
        b"Message-ID: =?utf-8?q?=3Cencoded=40x=3E?=\r\n\r\n",
        b"Message-ID: <caf\xc3\xa9@x>\r\n\r\n",
    ],
)
def test_message_id_is_read_like_the_store_reads_it(header: bytes) -> None:
    assert fetched_message_id({KEY: header}) == parse_message(header).message_id


def test_missing_message_id() -> None:
    assert fetched_message_id({KEY: b"\r\n"}) is None
    assert fetched_message_id({b"RFC822.SIZE": 10}) is None
    assert fetched_message_id({KEY: b"Message-ID:\r\n\r\n"}) is None
