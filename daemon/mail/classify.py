"""Recognise mail that is not the user's own writing: forwards, auto-replies, bounces."""

from __future__ import annotations

import re

from panza.daemon.mail.parse import ParsedMessage

_FORWARD_MARKER = re.compile(
    r"^\s*(?:-{3,}\s*(?:Forwarded message|Forwarded Message|Weitergeleitete Nachricht"
    r"|Message transféré|Mensaje reenviado|Messaggio inoltrato|Doorgestuurd bericht)\s*-{3,}"
    r"|Begin forwarded message:|Anfang der weitergeleiteten Nachricht:"
    r"|Début du message réexpédié :?)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:auto(?:matic)?[ -]?reply|out of (?:the )?office|abwesenheitsnotiz|réponse automatique"
    r"|undeliverable|undelivered mail|delivery status notification|mail delivery failed"
    r"|returned mail|accepted:|declined:|tentative:|angenommen:|abgelehnt:)",
    re.IGNORECASE,
)


def is_forward(msg: ParsedMessage, own_text: str) -> bool:
    """True when the message carries someone else's mail (inline or attached).

    A "Fwd:" subject alone is not enough: people reuse forwarded subjects for
    mail they write themselves.
    """
    return msg.has_attached_message or bool(_FORWARD_MARKER.search(own_text))


def automatic_reason(msg: ParsedMessage) -> str | None:
    """'auto_reply' or 'bounce' when software, not the user, wrote the message."""
    h = msg.headers
    ctype = h.get("content-type", "").lower()
    if "multipart/report" in ctype or msg.sender.startswith(("mailer-daemon@", "postmaster@")):
        return "bounce"
    auto = h.get("auto-submitted", "").strip().lower()
    if auto and auto != "no":
        return "auto_reply"
    if any(k in h for k in ("x-autoreply", "x-autorespond")) or h.get(
        "precedence", ""
    ).strip().lower() in ("auto_reply", "bulk", "junk"):
        return "auto_reply"
    if "text/calendar" in ctype or _AUTO_SUBJECT.match(msg.subject):
        return "auto_reply"
    return None
