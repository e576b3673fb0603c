"""Streaming mbox reading on literal files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from panza.daemon.errors import MboxError
from panza.daemon.sources.mbox import envelope_date, read_mbox

SEP = b"From ada@whitfield.example Mon Jan  8 09:00:00 2024\n"


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "sent.mbox"
    path.write_bytes(data)
    return path


def test_messages_split_and_from_unescaped(tmp_path: Path) -> None:
    data = (
        SEP
        + b"Subject: one\n\nHello\n>From the start, yes.\n>>From quoted\n\n"
        + SEP
        + b"Subject: two\n\nBye\n"
    )
    msgs = list(read_mbox(write(tmp_path, data)))
    assert [m.raw for m in msgs] == [
        b"Subject: one\n\nHello\nFrom the start, yes.\n>From quoted\n",
        b"Subject: two\n\nBye\n",
    ]
    assert msgs[1].offset == data.index(SEP, 1)


def test_from_line_inside_paragraph_is_not_a_separator(tmp_path: Path) -> None:
    data = SEP + b"Subject: one\n\nHello\nFrom here on we agree.\n"
    assert len(list(read_mbox(write(tmp_path, data)))) == 1


def test_crlf_mbox(tmp_path: Path) -> None:
    data = SEP.replace(b"\n", b"\r\n") + b"Subject: a\r\n\r\nx\r\n\r\n" + SEP + b"Subject: b\n\ny\n"
    assert len(list(read_mbox(write(tmp_path, data)))) == 2


def test_truncated_last_message_is_returned(tmp_path: Path) -> None:
    data = SEP + b"Subject: one\n\nfull\n\n" + SEP + b"Subject: tw"
    msgs = list(read_mbox(write(tmp_path, data)))
    assert msgs[-1].raw == b"Subject: tw"


def test_envelope_date() -> None:
    assert envelope_date(SEP) == datetime(2024, 1, 8, 9, 0, tzinfo=UTC)
    assert envelope_date(b"From x\n") is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"Subject: hi\n\nnot an mbox\n", "is not an mbox file"),
        (b"\x89PNG\r\n\x1a\n", "is not an mbox file"),
    ],
)
def test_not_an_mbox(tmp_path: Path, data: bytes, message: str) -> None:
    with pytest.raises(MboxError, match=message):
        list(read_mbox(write(tmp_path, data)))


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(MboxError, match="no such file"):
        list(read_mbox(tmp_path / "nope.mbox"))
    with pytest.raises(MboxError, match="is a folder"):
        list(read_mbox(tmp_path))
