"""Render the persona's sent mail in the formats real mail clients produce, with ground truth.

Every message records whether a perfect cleaner keeps it and the exact text
it should extract, so tests and the demo can check the pipeline end to end.
"""

from __future__ import annotations

import base64
import json
import quopri
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from panza.daemon.demo.sample.persona import (
    CLOSINGS,
    CONTACTS,
    DAYS,
    FRENCH,
    GERMAN,
    GREETINGS,
    INCOMING,
    MONTHS,
    PERSONA,
    SHORT,
    TOPICS,
)
from panza.training.atomic import atomic_write_bytes, atomic_write_text

__all__ = ["PERSONA", "SampleMessage", "generate", "write_mbox", "write_truth"]


@dataclass(frozen=True)
class SampleMessage:
    """One generated message and what cleaning must make of it."""

    message_id: str
    kind: str
    raw: bytes
    keep: bool
    text: str | None
    reason: str | None = None


@dataclass
class _Draft:
    rng: random.Random
    index: int
    date: datetime
    subject: str
    to_name: str
    to_addr: str
    text: str

    @property
    def message_id(self) -> str:
        return f"<sample.{self.index}@whitfield.example>"


def _headers(d: _Draft, ctype: str, cte: str, sender: str = "", extra: str = "") -> str:
    sender = sender or f"{PERSONA.name} <{PERSONA.address}>"
    return (
        f"From: {sender}\nTo: {d.to_name} <{d.to_addr}>\nSubject: {d.subject}\n"
        f"Date: {format_datetime(d.date)}\nMessage-ID: {d.message_id}\nMIME-Version: 1.0\n"
        f"Content-Type: {ctype}\nContent-Transfer-Encoding: {cte}\n{extra}\n"
    )


def _qp(text: str, charset: str) -> str:
    return quopri.encodestring(text.encode(charset)).decode("ascii")


def _b64(text: str) -> str:
    return base64.encodebytes(text.encode("utf-8")).decode("ascii")


def _plain(d: _Draft, body: str, **kw: str) -> bytes:
    return (_headers(d, 'text/plain; charset="utf-8"', "8bit", **kw) + body + "\n").encode()


def _quoted(d: _Draft) -> str:
    incoming = d.rng.choice(INCOMING)
    return "\n".join(f"> {line}" if line else ">" for line in [incoming, "", d.to_name])


def _earlier(d: _Draft) -> datetime:
    return d.date - timedelta(hours=d.rng.randint(2, 48))


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _html(text: str) -> str:
    paras = "".join(
        "<div>" + _html_escape(p).replace("\n", "<br>") + "</div><div><br></div>"
        for p in text.split("\n\n")
    )
    return f"<html><body>{paras}</body></html>"


# Each renderer returns (raw bytes, keep, discard reason).
Render = Callable[[_Draft], tuple[bytes, bool, str | None]]


def _r_plain(d: _Draft) -> tuple[bytes, bool, str | None]:
    return _plain(d, d.text), True, None


def _r_reply_gmail(d: _Draft) -> tuple[bytes, bool, str | None]:
    when = _earlier(d).strftime("%a, %b %d, %Y at %I:%M %p")
    body = f"{d.text}\n\nOn {when} {d.to_name} <{d.to_addr}> wrote:\n{_quoted(d)}"
    return _plain(d, body), True, None


def _r_reply_outlook(d: _Draft) -> tuple[bytes, bool, str | None]:
    when = _earlier(d).strftime("%A, %B %d, %Y %I:%M %p")
    body = (
        f"{d.text}\n\n________________________________\nFrom: {d.to_name} <{d.to_addr}>\n"
        f"Sent: {when}\nTo: {PERSONA.name}\nSubject: {d.subject}\n\n{d.rng.choice(INCOMING)}"
    )
    return _plain(d, body), True, None


def _r_reply_german_client(d: _Draft) -> tuple[bytes, bool, str | None]:
    when = _earlier(d).strftime("%d.%m.%Y um %H:%M")
    body = f"{d.text}\n\nAm {when} schrieb {d.to_name} <{d.to_addr}>:\n{_quoted(d)}"
    return _plain(d, body), True, None


def _r_sig_delimited(d: _Draft) -> tuple[bytes, bool, str | None]:
    body = f"{d.text}\n\n-- \n{PERSONA.name}\n{PERSONA.title}\n{PERSONA.phone}"
    return _plain(d, body), True, None


def _r_sig_block(d: _Draft) -> tuple[bytes, bool, str | None]:
    body = f"{d.text}\n\n{PERSONA.name}\n{PERSONA.title}\n{PERSONA.phone}\n{PERSONA.meeting_link}"
    return _plain(d, body), True, None


def _r_mobile(d: _Draft) -> tuple[bytes, bool, str | None]:
    return _plain(d, f"{d.text}\n\nSent from my iPhone"), True, None


def _r_alternative(d: _Draft) -> tuple[bytes, bool, str | None]:
    boundary = f"=_alt_{d.index}"
    body = (
        f"--{boundary}\nContent-Type: text/plain; charset=utf-8\n"
        f"Content-Transfer-Encoding: quoted-printable\n\n{_qp(d.text, 'utf-8')}\n"
        f"--{boundary}\nContent-Type: text/html; charset=utf-8\n"
        f"Content-Transfer-Encoding: quoted-printable\n\n{_qp(_html(d.text), 'utf-8')}\n"
        f"--{boundary}--\n"
    )
    head = _headers(d, f'multipart/alternative; boundary="{boundary}"', "7bit")
    return (head + body).encode(), True, None


def _r_html_only(d: _Draft) -> tuple[bytes, bool, str | None]:
    quote = (
        f'<div class="gmail_quote"><div class="gmail_attr">On {format_datetime(_earlier(d))},'
        f" {_html_escape(d.to_name)} &lt;{d.to_addr}&gt; wrote:<br></div>"
        f'<blockquote class="gmail_quote">{_html_escape(d.rng.choice(INCOMING))}</blockquote></div>'
    )
    html = _html(d.text).replace("</body>", quote + "</body>")
    raw = _headers(d, 'text/html; charset="utf-8"', "quoted-printable") + _qp(html, "utf-8")
    return raw.encode(), True, None


def _r_qp_cp1252(d: _Draft) -> tuple[bytes, bool, str | None]:
    d.text = d.text.replace("I will", "I’ll", 1) + "\n\n– sent from the café"
    head = _headers(d, 'text/plain; charset="windows-1252"', "quoted-printable")
    return (head + _qp(d.text, "cp1252")).encode(), True, None


def _r_misdeclared(d: _Draft) -> tuple[bytes, bool, str | None]:
    d.text = d.text + "\n\nSee you at the café."
    head = _headers(d, 'text/plain; charset="utf-8"', "8bit").encode()
    return head + d.text.encode("latin-1") + b"\n", True, None


def _r_base64(d: _Draft) -> tuple[bytes, bool, str | None]:
    head = _headers(d, 'text/plain; charset="utf-8"', "base64")
    return (head + _b64(d.text)).encode(), True, None


def _r_alias(d: _Draft) -> tuple[bytes, bool, str | None]:
    return _plain(d, d.text, sender=f"Ada W. <{PERSONA.alias.upper()}>"), True, None


def _r_from_line(d: _Draft) -> tuple[bytes, bool, str | None]:
    d.text = d.text.replace("\n\n", "\n\nFrom what I remember, this was agreed.\n\n", 1)
    return _plain(d, d.text), True, None


def _r_forward(d: _Draft) -> tuple[bytes, bool, str | None]:
    body = (
        f"FYI, see below.\n\n---------- Forwarded message ---------\nFrom: {d.to_addr}\n"
        f"Subject: {d.subject}\n\n{d.rng.choice(INCOMING)}"
    )
    return _plain(d, body), False, "forward"


def _r_auto_reply(d: _Draft) -> tuple[bytes, bool, str | None]:
    body = "I am out of the office until Monday with limited access to email."
    return _plain(d, body, extra="Auto-Submitted: auto-replied\n"), False, "auto_reply"


def _r_other_sender(d: _Draft) -> tuple[bytes, bool, str | None]:
    return _plain(d, d.text, sender=f"{d.to_name} <{d.to_addr}>"), False, "not_from_user"


def _r_german(d: _Draft) -> tuple[bytes, bool, str | None]:
    return _plain(d, GERMAN), False, "language"


def _r_french(d: _Draft) -> tuple[bytes, bool, str | None]:
    return _plain(d, FRENCH), False, "language"


def _r_short(d: _Draft) -> tuple[bytes, bool, str | None]:
    return _plain(d, d.rng.choice(SHORT)), False, "too_short"


# name -> (renderer, weight)
KINDS: dict[str, tuple[Render, int]] = {
    "plain": (_r_plain, 14),
    "reply_gmail": (_r_reply_gmail, 14),
    "reply_outlook": (_r_reply_outlook, 6),
    "reply_german_client": (_r_reply_german_client, 3),
    "sig_delimited": (_r_sig_delimited, 6),
    "sig_block": (_r_sig_block, 5),
    "mobile": (_r_mobile, 3),
    "alternative": (_r_alternative, 8),
    "html_only": (_r_html_only, 5),
    "qp_cp1252": (_r_qp_cp1252, 3),
    "misdeclared_latin1": (_r_misdeclared, 2),
    "base64": (_r_base64, 3),
    "alias": (_r_alias, 3),
    "from_line": (_r_from_line, 2),
    "forward": (_r_forward, 4),
    "auto_reply": (_r_auto_reply, 2),
    "other_sender": (_r_other_sender, 4),
    "german": (_r_german, 3),
    "french": (_r_french, 2),
    "short": (_r_short, 4),
}


def _compose(rng: random.Random) -> tuple[str, str, str, str]:
    name, addr = rng.choice(CONTACTS)
    subject, *paras = rng.choice(TOPICS)
    fill = {
        "day": rng.choice(DAYS),
        "month": rng.choice(MONTHS),
        "link": PERSONA.meeting_link,
        "phone": PERSONA.phone,
    }
    body = "\n\n".join(p.format(**fill) for p in paras[: rng.randint(1, len(paras))])
    text = f"{rng.choice(GREETINGS).format(name=name)}\n\n{body}\n\n{rng.choice(CLOSINGS)}"
    if rng.random() < 0.5:
        subject = "Re: " + subject
    return name, addr, subject, text


def generate(count: int = 200, seed: int = 7) -> list[SampleMessage]:
    """``count`` messages of every kind, deterministic for a seed."""
    rng = random.Random(seed)
    names = list(KINDS)
    weights = [KINDS[k][1] for k in names]
    start = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)
    out: list[SampleMessage] = []
    for i in range(count):
        # Every kind appears at least once in the first len(KINDS) messages.
        kind = names[i] if i < len(names) else rng.choices(names, weights)[0]
        name, addr, subject, text = _compose(rng)
        draft = _Draft(rng, i, start + timedelta(hours=7 * i), subject, name, addr, text)
        raw, keep, reason = KINDS[kind][0](draft)
        out.append(
            SampleMessage(draft.message_id, kind, raw, keep, draft.text if keep else None, reason)
        )
    return out


def to_mbox(messages: list[SampleMessage]) -> bytes:
    """mboxrd bytes: a ``From `` line per message, body ``From `` lines escaped."""
    chunks: list[bytes] = []
    for i, msg in enumerate(messages):
        when = datetime(2024, 1, 8, tzinfo=UTC) + timedelta(hours=7 * i)
        chunks.append(f"From {PERSONA.address} {when.strftime('%a %b %d %H:%M:%S %Y')}\n".encode())
        for line in msg.raw.splitlines(keepends=True):
            if line.lstrip(b">").startswith(b"From "):
                line = b">" + line
            chunks.append(line)
        if not msg.raw.endswith(b"\n"):
            chunks.append(b"\n")
        chunks.append(b"\n")
    return b"".join(chunks)


def write_mbox(path: Path, messages: list[SampleMessage]) -> None:
    atomic_write_bytes(path, to_mbox(messages), mode=0o644)


def write_truth(path: Path, messages: list[SampleMessage]) -> None:
    """Ground truth in the format ``score_extract.py`` reads."""
    rows = [
        json.dumps(
            {
                "message_id": m.message_id,
                "kind": m.kind,
                "keep": m.keep,
                "text": m.text,
                "reason": m.reason,
            }
        )
        for m in messages
    ]
    atomic_write_text(path, "".join(r + "\n" for r in rows), mode=0o644)
