"""The cleaning pipeline: a parsed message in, a kept or discarded :class:`EmailRecord` out.

Rules, in order (the first that applies is the discard reason):
``not_from_user`` (From matches none of the user's addresses), ``bounce`` /
``auto_reply`` (software wrote it), ``forward``, ``empty``, ``too_short``
(fewer than ``min_words`` words of the user's own), ``language``.
"""

from __future__ import annotations

from dataclasses import dataclass

from panza.daemon.config import Config
from panza.daemon.mail.classify import automatic_reason, is_forward
from panza.daemon.mail.language import detect_language
from panza.daemon.mail.parse import ParsedMessage
from panza.daemon.mail.quotes import split_quoted
from panza.daemon.mail.signature import strip_signature
from panza.daemon.store.records import EmailRecord

# Below this probability a "foreign" verdict is not trusted: short texts in
# the user's language are often scored as something close to it.
LANGUAGE_CONFIDENCE = 0.9

DISCARD_REASONS = (
    "not_from_user",
    "bounce",
    "auto_reply",
    "forward",
    "empty",
    "too_short",
    "language",
    "too_large",
    "unreadable",
)


@dataclass(frozen=True)
class CleanRules:
    """What counts as the user's own, learnable mail."""

    addresses: frozenset[str]
    languages: frozenset[str]
    min_words: int = 5
    names: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: Config) -> CleanRules:
        name = config.user.name.strip().lower()
        names = (name, *name.split()) if name else ()
        return cls(
            addresses=frozenset(a.lower() for a in config.user.emails),
            languages=frozenset(config.user.languages),
            min_words=config.cleaning.min_words,
            names=names,
        )


def clean_message(
    msg: ParsedMessage, rules: CleanRules, account: str, provider_id: str, folder: str = ""
) -> EmailRecord:
    """Apply the cleaning rules to one parsed message."""
    split = split_quoted(msg.body)
    text = strip_signature(split.text, rules.names)
    language: str | None = None
    reason: str | None = None
    if msg.sender not in rules.addresses:
        reason = "not_from_user"
    elif (auto := automatic_reason(msg)) is not None:
        reason = auto
    elif is_forward(msg, split.text):
        reason = "forward"
    elif not text.strip():
        reason = "empty"
    elif len(text.split()) < rules.min_words:
        reason = "too_short"
    else:
        language, confidence = detect_language(text)
        if language not in rules.languages and confidence >= LANGUAGE_CONFIDENCE:
            reason = "language"
    return EmailRecord(
        account=account,
        folder=folder,
        provider_id=provider_id,
        message_id=msg.message_id,
        date=msg.date,
        subject=msg.subject,
        recipients=msg.recipients,
        text=text,
        thread=split.thread,
        status="kept" if reason is None else "discarded",
        reason=reason,
        language=language,
        thread_key=msg.thread_key,
    )
