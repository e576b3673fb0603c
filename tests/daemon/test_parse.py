"""MIME parsing and decoding on literal (often broken) messages."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from panza.daemon.mail.charset import decode_header_value, decode_text
from panza.daemon.mail.html import html_to_text
from panza.daemon.mail.parse import parse_message

from .conftest import MakeMessage


def test_headers_addresses_and_date(make_message: MakeMessage) -> None:
    msg = parse_message(make_message(sender='"Whitfield, Ada" <Ada@Whitfield.Example>'))
    assert msg.sender == "ada@whitfield.example"
    assert msg.sender_name == "Whitfield, Ada"
    assert msg.recipients == ("tom@partner.example",)
    assert msg.date == datetime(2024, 1, 8, 9, 0, tzinfo=UTC)
    assert msg.message_id == "<m1@whitfield.example>"


def test_rfc2047_subject() -> None:
    assert decode_header_value("=?utf-8?q?Gr=C3=BC=C3=9Fe_aus?= Wien") == "Grüße aus Wien"
    assert decode_header_value("=?iso-8859-1?b?Q2Fm6Q==?=") == "Café"


def test_raw_8bit_header_is_decoded(make_message: MakeMessage) -> None:
    raw = make_message(subject="placeholder").replace(b"placeholder", "Réunion café".encode())
    assert parse_message(raw).subject == "Réunion café"


def test_malformed_encoded_word_kept_as_text() -> None:
    assert decode_header_value("=?utf-8?x?broken?=") == "=?utf-8?x?broken?="


def test_missing_date_and_message_id(make_message: MakeMessage) -> None:
    msg = parse_message(make_message(date=None, message_id=None))
    assert msg.date is None and msg.message_id is None
    assert "report is attached" in msg.body


def test_unparseable_date_is_none(make_message: MakeMessage) -> None:
    assert parse_message(make_message(date="the day after tomorrow")).date is None


def test_unknown_charset_best_effort(make_message: MakeMessage) -> None:
    raw = make_message(
        "Caf\xe9 at noon?".encode("latin-1"), content_type="text/plain; charset=x-klingon"
    )
    assert parse_message(raw).body == "Café at noon?"


def test_misdeclared_utf8_that_is_cp1252(make_message: MakeMessage) -> None:
    raw = make_message("It’s fine – really.".encode("cp1252"))
    assert parse_message(raw).body == "It’s fine – really."


def test_latin1_label_decodes_windows_1252_quotes(make_message: MakeMessage) -> None:
    raw = make_message("“quoted”".encode("cp1252"), content_type="text/plain; charset=iso-8859-1")
    assert parse_message(raw).body == "“quoted”"


def test_decode_text_with_an_unknown_charset_falls_back_to_a_single_byte_one() -> None:
    assert decode_text(b"\xff\xfe\x00bad", "utf-16-nonsense") == "\xff\xfe\x00bad"
    assert decode_text(b"plain", None) == "plain"


def test_bad_base64_does_not_crash(make_message: MakeMessage) -> None:
    good = base64.b64encode(b"Hello Tom, see you on Friday at the lab.").decode()
    raw = make_message(good[:-3] + "!!*", cte="base64")
    msg = parse_message(raw)
    assert msg.body.startswith("Hello Tom, see you on Friday")


def test_multipart_missing_boundary_reads_body_as_text(make_message: MakeMessage) -> None:
    raw = make_message(
        "Hello Tom,\n\nthe boundary is gone.\n", content_type="multipart/alternative"
    )
    assert "the boundary is gone." in parse_message(raw).body


def test_multipart_with_wrong_boundary_reads_body_as_text(make_message: MakeMessage) -> None:
    body = "--other\nContent-Type: text/plain\n\nHi\n--other--\n"
    raw = make_message(body, content_type='multipart/mixed; boundary="expected"')
    msg = parse_message(raw)
    assert msg.body == body  # no part found: the words are kept, not lost
    assert not msg.body_from_html and not msg.has_attached_message


def test_alternative_prefers_plain(make_message: MakeMessage) -> None:
    body = (
        "--b\nContent-Type: text/plain; charset=utf-8\n\nPlain words here.\n"
        "--b\nContent-Type: text/html; charset=utf-8\n\n<p>HTML words here.</p>\n--b--\n"
    )
    msg = parse_message(make_message(body, content_type='multipart/alternative; boundary="b"'))
    assert msg.body.strip() == "Plain words here." and not msg.body_from_html


def test_html_only_body_is_converted(make_message: MakeMessage) -> None:
    html = "<html><body><p>Hi&nbsp;Tom,</p><p>See <b>you</b><br>soon &amp; well.</p></body></html>"
    msg = parse_message(make_message(html, content_type="text/html; charset=utf-8"))
    assert msg.body_from_html
    assert msg.body.split("\n") == ["Hi Tom,", "", "See you", "soon & well."]


def test_attachment_text_is_not_the_body(make_message: MakeMessage) -> None:
    body = (
        "--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename=a.txt\n\n"
        "ATTACHMENT\n--b\nContent-Type: text/plain\n\nThe body.\n--b--\n"
    )
    msg = parse_message(make_message(body, content_type='multipart/mixed; boundary="b"'))
    assert msg.body.strip() == "The body."


def test_garbage_bytes_are_a_body_without_headers() -> None:
    msg = parse_message(b"\x00\xff\xfe garbage without headers \x81\n\n\x00")
    assert (msg.sender, msg.subject, msg.recipients, msg.date, msg.message_id) == (
        "",
        "",
        (),
        None,
        None,
    )
    assert msg.body == "\x00\ufffd\ufffd garbage without headers \ufffd\n\n\x00"


def test_html_blockquote_and_signature_are_marked() -> None:
    text = html_to_text(
        '<div>Yes.</div><div class="gmail_signature">Ada</div>'
        "<blockquote>Will you come?<br>Tom</blockquote><script>x()</script>"
    )
    assert text.split("\n") == ["Yes.", "--", "Ada", "> Will you come?", "> Tom"]
