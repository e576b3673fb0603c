"""Literal regressions for what the fuzzers found, one per defect (each failed before its fix)."""

from __future__ import annotations

from panza.daemon.mail.charset import decode_text
from panza.daemon.mail.parse import parse_message
from panza.daemon.pipeline.ingest import RawMail, to_record
from tests.fuzz.conftest import logged
from tests.fuzz.test_fuzz_mime import RULES


def test_a_charset_label_with_a_nul_byte_decodes_as_unknown() -> None:
    raw = (
        b"Content-Type: text/plain; charset=utf-8\x00\r\nContent-Transfer-Encoding: 7bit\r\n\r\nhi"
    )
    assert decode_text(b"caf\xc3\xa9", "utf-8\x00") == "café"
    assert parse_message(raw).body == "hi"
    with logged() as records:
        assert to_record(RawMail(raw, "p1"), RULES, "fuzz", 1 << 20).reason != "unreadable"
    assert records == []


def test_eight_bit_text_under_a_charset_label_with_a_nul_byte() -> None:
    raw = b"Content-Type: text/plain; charset=utf-8\x00\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
    assert parse_message(raw + b"caf\xc3\xa9").body == "café"  # email's get_payload raised
