"""Which incoming messages get a reply waiting in Drafts; pure, tested on literal headers.

A message qualifies when it is addressed to one of the user's addresses (To or
Cc), comes from a person, is not answered (no ``\\Answered`` flag, no reply from
the user in its thread) and is younger than ``max_age_days``. Not from a person:
``List-Id``/``List-Unsubscribe``, ``Precedence: bulk/list/junk``, ``Auto-Submitted``
and the other automatic markers the Sent cleaner knows, noreply and mailer-daemon
senders, calendar invitations, and mail from the user. ``deny`` rules skip a
sender or domain; ``allow`` rules let one through the "from a person" checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import getaddresses

from panza.daemon.config import Config
from panza.daemon.mail.classify import automatic_reason
from panza.daemon.mail.parse import ParsedMessage, parse_message

# What the watcher fetches for every new message: these header fields and FLAGS.
HEADER_FIELDS = (
    "FROM",
    "TO",
    "CC",
    "REPLY-TO",
    "SUBJECT",
    "DATE",
    "MESSAGE-ID",
    "IN-REPLY-TO",
    "REFERENCES",
    "LIST-ID",
    "LIST-UNSUBSCRIBE",
    "PRECEDENCE",
    "AUTO-SUBMITTED",
    "CONTENT-TYPE",
    "X-AUTOREPLY",
    "X-AUTORESPOND",
    "X-PANZA-DRAFT",
)
MARKER = "x-panza-draft"

_NOREPLY = re.compile(
    r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer[-_.]?daemon|postmaster|bounces?)(?:[+\-_.].*)?$"
)
_INVITATION = re.compile(
    r"^\s*(?:(?:updated |new )?invitation(?: from google calendar)?:|einladung:|invitation mise"
    r" à jour:|invitación:)",
    re.IGNORECASE,
)
_CALENDAR_TYPES = ("text/calendar", "application/ics")


@dataclass(frozen=True)
class Incoming:
    """An inbox message as its headers and flags describe it (no body)."""

    parsed: ParsedMessage
    to: tuple[str, ...]
    cc: tuple[str, ...]
    reply_to: tuple[tuple[str, str], ...]
    answered: bool
    received: datetime | None

    @classmethod
    def from_headers(
        cls, raw: bytes, flags: Iterable[bytes | str] = (), received: datetime | None = None
    ) -> Incoming:
        """From the bytes of ``BODY[HEADER.FIELDS (...)]`` (or a whole message) and FLAGS."""
        parsed = parse_message(raw)
        names = {
            (f.decode("ascii", "replace") if isinstance(f, bytes) else f).lower() for f in flags
        }
        return cls(
            parsed=parsed,
            to=_emails(parsed.headers.get("to", "")),
            cc=_emails(parsed.headers.get("cc", "")),
            reply_to=_pairs(parsed.headers.get("reply-to", "")),
            answered="\\answered" in names,
            received=received,
        )

    @property
    def message_id(self) -> str | None:
        return self.parsed.message_id

    @property
    def thread_key(self) -> str | None:
        return self.parsed.thread_key

    @property
    def written(self) -> datetime | None:
        """When the message was written: the earlier of its Date and its arrival (a reply to it
        cannot be older; a sender's clock that runs fast must not hide the user's reply)."""
        known = [d for d in (self.parsed.date, self.received) if d is not None]
        return min(known) if known else None

    @property
    def headers(self) -> Mapping[str, str]:
        return self.parsed.headers


@dataclass(frozen=True)
class Rules:
    """The user's addresses and the autodraft section of the config."""

    addresses: frozenset[str]
    max_age: timedelta
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: Config) -> Rules:
        section = config.autodraft
        return cls(
            frozenset(config.user.emails),
            timedelta(days=section.max_age_days),
            tuple(section.allow),
            tuple(section.deny),
        )


@dataclass(frozen=True)
class Qualifies:
    """Write a reply, from ``alias`` (the user's address the message was sent to)."""

    alias: str


@dataclass(frozen=True)
class Skip:
    """No draft, and why (stored, and shown by ``panza drafts``)."""

    reason: str


Verdict = Qualifies | Skip


def qualify(msg: Incoming, rules: Rules, now: datetime, replied_in_thread: bool) -> Verdict:
    """The verdict on a message from its headers and flags alone."""
    sender = msg.parsed.sender
    if sender in rules.addresses or MARKER in msg.headers:
        return Skip("from_user")
    if _matches(sender, rules.deny):
        return Skip("denied_sender")
    alias = next((a for a in (*msg.to, *msg.cc) if a in rules.addresses), None)
    if alias is None:
        return Skip("not_addressed_to_user")
    if not _matches(sender, rules.allow):
        reason = not_a_person(msg)
        if reason is not None:
            return Skip(reason)
    if msg.answered:
        return Skip("answered")
    if replied_in_thread:
        return Skip("replied_in_thread")
    when = msg.received or msg.parsed.date
    if when is None or when < now - rules.max_age:
        return Skip("too_old")
    if not msg.message_id:
        return Skip("no_message_id")  # a reply could not be threaded
    return Qualifies(alias)


def not_a_person(msg: Incoming) -> str | None:
    """Why software or a list, not a person, sent the message; None for a person."""
    headers = msg.headers
    sender = msg.parsed.sender
    if not sender:
        return "no_sender"
    if "list-id" in headers or "list-unsubscribe" in headers:
        return "mailing_list"
    if headers.get("precedence", "").strip().lower() in ("bulk", "list", "junk"):
        return "bulk"
    if _NOREPLY.match(sender.split("@", 1)[0]):
        return "noreply_sender"
    if is_calendar(headers.get("content-type", ""), msg.parsed.subject):
        return "calendar"
    if automatic_reason(msg.parsed) is not None:
        return "automatic"
    return None


def is_calendar(content_type: str, subject: str = "") -> bool:
    ctype = content_type.lower()
    return any(t in ctype for t in _CALENDAR_TYPES) or bool(_INVITATION.match(subject))


def body_verdict(raw: bytes) -> Skip | None:
    """The checks only the body can answer: an invitation inside a multipart message."""
    from email import policy
    from email.parser import BytesParser

    message = BytesParser(policy=policy.compat32).parsebytes(raw)
    for part in message.walk():
        if part.get_content_type() in _CALENDAR_TYPES:
            return Skip("calendar")
    return None


def _matches(sender: str, rules: Sequence[str]) -> bool:
    domain = sender.rpartition("@")[2]
    return any(rule in (sender, domain) or domain.endswith("." + rule) for rule in rules)


def _pairs(value: str) -> tuple[tuple[str, str], ...]:
    return tuple((n, a.strip()) for n, a in getaddresses([value]) if "@" in a)


def _emails(value: str) -> tuple[str, ...]:
    return tuple(a.lower() for _, a in _pairs(value))
