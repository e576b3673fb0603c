"""Strip signatures: the ``-- `` delimiter, phone boilerplate, contact blocks after a sign-off."""

from __future__ import annotations

import re

_DELIMITER = re.compile(r"^(?:-- ?|--\s*|__\s*)$")
_DEVICE = re.compile(
    r"^\s*(?:Sent from my \w+|Sent from (?:Mail|Outlook|Yahoo Mail|my mobile)\b.*"
    r"|Get Outlook for (?:iOS|Android).*|Sent via .{1,40}|Sent from Proton Mail.*"
    r"|Von meinem \w+ gesendet|Gesendet von meinem \w+.*|Envoyé de mon \w+.*"
    r"|Enviado desde mi \w+.*|Inviato da(?:l mio)? \w+.*)\s*$",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"^\s*(?:(?:best|kind|warm|warmest|many|with best|with kind)\s+(?:regards|wishes)|regards"
    r"|best|cheers|thanks|thank you|many thanks|thanks again|sincerely|yours(?: sincerely| truly)?"
    r"|all the best|take care|talk soon|see you|ciao|br|mit freundlichen grüßen|viele grüße"
    r"|beste grüße|liebe grüße|lg|vg|cordialement|bien à vous|amicalement|saludos|un saluto"
    r"|groeten|met vriendelijke groet)\s*[,.!]?\s*$",
    re.IGNORECASE,
)
_CONTACT = re.compile(
    r"(?:\+?\d[\d\s().-]{6,}\d|https?://|www\.|@|\b(?:tel|phone|mobile|fax|cell|office)\b"
    r"|\b(?:inc|ltd|gmbh|llc|university|institute|department|dept)\b)",
    re.IGNORECASE,
)


def strip_signature(text: str, names: tuple[str, ...] = ()) -> str:
    """``text`` without its trailing signature block."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if _DELIMITER.match(line) or _DEVICE.match(line):
            lines = lines[:i]
            break
    return "\n".join(_strip_contact_block(lines, names)).rstrip()


def _strip_contact_block(lines: list[str], names: tuple[str, ...]) -> list[str]:
    """Drop a block of short contact lines that follows "Sign-off,\\nName" at the end."""
    content = [i for i, ln in enumerate(lines) if ln.strip()]
    if len(content) < 3:
        return lines
    for pos in range(len(content) - 2, 0, -1):
        off, name = content[pos - 1], content[pos]
        if not _SIGN_OFF.match(lines[off]) or not _is_name(lines[name], names):
            continue
        tail = [lines[i] for i in content[pos + 1 :]]
        if tail and all(_is_contact_line(ln, names) for ln in tail):
            return lines[: name + 1]
        break
    return lines


def _is_name(line: str, names: tuple[str, ...]) -> bool:
    words = line.strip().split()
    if not 1 <= len(words) <= 4:
        return False
    lowered = line.strip().lower()
    if any(n and (n in lowered or lowered in n) for n in names):
        return True
    return all(w[:1].isupper() for w in words)


def _is_contact_line(line: str, names: tuple[str, ...]) -> bool:
    stripped = line.strip()
    if len(stripped) > 80 or (stripped.endswith((".", "?", "!")) and len(stripped.split()) > 6):
        return False
    if _CONTACT.search(stripped) or _is_name(stripped, names):
        return True
    words = stripped.split()
    # Title-like lines: "Head of Research", "Senior Engineer, Team X"
    return len(words) <= 6 and sum(w[:1].isupper() for w in words) >= max(1, len(words) // 2)
