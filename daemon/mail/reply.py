"""A reply as an RFC 5322 message: the original's headers + the draft text + the alias. Pure.

``Re:`` subject, ``In-Reply-To``/``References`` so every client threads it,
``To`` = ``Reply-To`` or the sender, ``From`` = the user's address the original
was sent to, a fresh ``Message-ID`` (chosen before the draft is stored, so a
restarted daemon can look the draft up by it), and ``X-Panza-Draft`` naming the
adapter version that wrote it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from panza.daemon.mail.qualify import Incoming

_REPLY_PREFIX = re.compile(r"^\s*(?:re|aw|sv|antw|r|ref)\s*(?:\[\d+\])?\s*:", re.IGNORECASE)
_MSGID = re.compile(r"<[^<>\s]+>")
MAX_REFERENCES = 20  # RFC 5322 allows trimming the middle of a long chain; keep the ends
MAX_QUOTED = 20_000


@dataclass(frozen=True)
class Reply:
    """What the composer needs besides the original."""

    text: str
    alias: str
    name: str
    adapter_version: int
    message_id: str
    date: datetime


def reply_subject(subject: str) -> str:
    """``Re: <subject>``, not ``Re: Re: <subject>``."""
    subject = " ".join(subject.split())
    return subject if _REPLY_PREFIX.match(subject) else f"Re: {subject}".rstrip()


def new_message_id(alias: str) -> str:
    """A fresh Message-ID on the alias's domain."""
    return make_msgid("panza", domain=alias.rpartition("@")[2] or "localhost")


def references(original: Incoming) -> list[str]:
    """The original's References (or In-Reply-To) plus its own Message-ID, trimmed."""
    headers = original.headers
    chain = _MSGID.findall(headers.get("references", "")) or _MSGID.findall(
        headers.get("in-reply-to", "")
    )
    if original.message_id and original.message_id not in chain:
        chain.append(original.message_id)
    if len(chain) > MAX_REFERENCES:
        chain = [chain[0], *chain[-(MAX_REFERENCES - 1) :]]
    return chain


def compose_reply(original: Incoming, reply: Reply, quoted: str = "") -> bytes:
    """The draft message's bytes; ``quoted`` (the original's text) goes below an attribution."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = formataddr((reply.name, reply.alias))
    to = original.reply_to or ((original.parsed.sender_name, original.parsed.sender),)
    msg["To"] = ", ".join(formataddr((_one_line(n), a)) for n, a in to)
    msg["Subject"] = reply_subject(original.parsed.subject)
    msg["Date"] = format_datetime(reply.date)
    msg["Message-ID"] = reply.message_id
    if original.message_id:
        msg["In-Reply-To"] = original.message_id
    chain = references(original)
    if chain:
        msg["References"] = " ".join(chain)
    msg["X-Panza-Draft"] = f"v{reply.adapter_version:04d}"
    msg.set_content(_body(original, reply.text, quoted), charset="utf-8")
    return msg.as_bytes()


def _body(original: Incoming, text: str, quoted: str) -> str:
    body = text.strip() + "\n"
    if not quoted.strip():
        return body
    who = original.parsed.sender_name or original.parsed.sender
    when = original.parsed.date or original.received
    attribution = f"On {format_datetime(when)}, {who} wrote:" if when else f"{who} wrote:"
    lines = quoted.strip()[:MAX_QUOTED].split("\n")
    return body + "\n" + _one_line(attribution) + "\n" + "\n".join(f"> {ln}" for ln in lines) + "\n"


def _one_line(value: str) -> str:
    return " ".join(value.split())
