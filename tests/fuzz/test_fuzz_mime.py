"""MIME parsing and cleaning: random structures, charsets, encodings and truncation.

Every message must come out as a record (kept or discarded), never as an exception, a
hang or a log line: the pipeline's catch-all would log the traceback, and a traceback
can quote a header or a body.
"""

from __future__ import annotations

import base64
import quopri

import pytest
from hypothesis import given
from hypothesis import strategies as st

from panza.daemon.mail.clean import CleanRules, clean_message
from panza.daemon.mail.parse import parse_message
from panza.daemon.pipeline.ingest import RawMail, to_record
from tests.fuzz.conftest import any_text, logged, text_of

pytestmark = [pytest.mark.fuzz, pytest.mark.timeout(300)]
RULES = CleanRules(
    addresses=frozenset({"ada@example.org"}), languages=frozenset({"en"}), names=("ada",)
)
CHARSETS = ["utf-8", "iso-8859-1", "windows-1252", "utf-16", "utf-7", "gb2312", "x-unknown",
            "", "utf-8\x00", "us-ascii", "shift_jis", "koi8-r"]  # fmt: skip
ENCODINGS = ["7bit", "8bit", "base64", "quoted-printable", "binary", "x-uuencode", "bogus", ""]
TYPES = ["text/plain", "text/html", "application/pdf", "message/rfc822", "text/enriched",
         "image/png", "text", "/", "multipart/alternative"]  # fmt: skip
texts = st.text(max_size=200) | any_text | st.sampled_from(["Dear Tom,\n\nthanks.\n\nAda", ""])


def _body(text: str, charset: str, cte: str) -> bytes:
    data = text.encode(charset if charset in ("utf-8", "iso-8859-1") else "utf-8", "replace")
    if cte == "base64":
        return base64.encodebytes(data)
    if cte == "quoted-printable":
        return quopri.encodestring(data)
    return data


@st.composite
def leaf(draw: st.DrawFn) -> bytes:
    ctype, charset, cte = (draw(st.sampled_from(x)) for x in (TYPES, CHARSETS, ENCODINGS))
    disposition = draw(st.sampled_from(["", "inline", "attachment", 'attachment; filename="a']))
    head = f"Content-Type: {ctype}; charset={charset}\r\nContent-Transfer-Encoding: {cte}\r\n"
    if disposition:
        head += f"Content-Disposition: {disposition}\r\n"
    return head.encode() + b"\r\n" + _body(draw(texts), charset, cte)


def multipart(parts: list[bytes], boundary: str, close: bool) -> bytes:
    head = f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\npreamble\r\n'.encode()
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + p + b"\r\n" for p in parts)
    return head + body + (b"--" + boundary.encode() + b"--\r\n" if close else b"")


parts = st.recursive(
    leaf(),
    lambda inner: st.builds(
        multipart,
        st.lists(inner, max_size=4),
        st.sampled_from(["b1", "=_x", "", "b1 b2", "a" * 80]),
        st.booleans(),
    ),
    max_leaves=8,
)
header_values = any_text | st.sampled_from(
    ["=?utf-8?B?QWRh?=", "=?x-bad?Q?a=ZZ?=", "=?utf-8?Q?broken", "Ada <ada@example.org>",
     "ada@example.org", "<a@b>", "Mon, 32 Foo 99999 25:61:61 +9999", "\udcff", ""]
)  # fmt: skip


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    names = ["From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
             "Auto-Submitted", "Precedence", "X-Random"]  # fmt: skip
    headers = draw(st.lists(st.tuples(st.sampled_from(names), header_values), max_size=10))
    head = b"".join(
        n.encode() + b": " + v.encode("utf-8", "surrogatepass") + b"\r\n" for n, v in headers
    )
    raw = head + draw(parts)
    cut = draw(st.none() | st.integers(0, len(raw)))  # truncated, as a broken download is
    return raw if cut is None else raw[:cut]


def survives(raw: bytes) -> None:
    with logged() as records:
        parsed = parse_message(raw)
        assert isinstance(parsed.body, str) and isinstance(parsed.subject, str)
        parsed.body.encode("utf-8", "surrogatepass")
        record = clean_message(parsed, RULES, "fuzz", "p1")
        assert record.status in ("kept", "discarded")
        assert to_record(RawMail(raw, "p1"), RULES, "fuzz", 1 << 20).reason != "unreadable"
    assert records == [], text_of(records)


@given(messages())
def test_random_mime_structures(raw: bytes) -> None:
    survives(raw)


@given(st.binary(max_size=600))
def test_random_bytes(raw: bytes) -> None:
    survives(raw)
