"""Split a plain-text body into what the user wrote and the quoted history below it.

Handles ``>`` quoting with its attribution line ("On ... wrote:" and the
German, French, Spanish, Italian, Dutch forms, possibly wrapped over several
lines), Outlook's "-----Original Message-----" separator and its unquoted
"From: / Sent: / To: / Subject:" header block (English, German, French), and
Apple Mail's "Begin forwarded message:". Interleaved replies keep the user's
own lines. The quoted history comes back as thread items, oldest first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from panza.daemon.store.records import ThreadItem

_WROTE = (
    r"(?:wrote|writes|schrieb|a écrit|a ecrit|escribió|escribio|ha scritto|scrisse|schreef"
    r"|skrev|napisał|написал\(а\)|написал)"
)
# "On <date>, <name> wrote:" and its translations; the name/date part may hold anything.
_ATTRIBUTION = re.compile(
    r"^\s*(?:On|Am|Le|El|Il|Op|Em|Den|Dnia)\b.{0,300}?\b" + _WROTE + r"\s*(?:\S.{0,120})?:\s*$",
    re.IGNORECASE | re.DOTALL,
)
# Name-first variants: "Bob Smith <bob@x.org> wrote:", "<bob@x.org> schrieb am 2.1.2023:".
_ATTRIBUTION_SHORT = re.compile(
    r"^\s*\S.{0,200}?\s" + _WROTE + r"(?:\s+(?:am|on|le)\s.{0,80})?\s*:\s*$",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(
    r"^\s*-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Originalnachricht"
    r"|Message d'origine|Mensaje original|Messaggio originale|Oorspronkelijk bericht)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s*(?:_{8,}|-{8,}|={8,})\s*$")
_HEADER_FROM = re.compile(r"^\s*\*?(?:From|Von|De|Van|Da)\s*:\*?\s*\S", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^\s*\*?(?:Sent|Date|To|Cc|Subject|Gesendet|Datum|An|Betreff|Envoyé|Envoye|Date|À|A|Objet"
    r"|Enviado|Para|Asunto|Inviato|Oggetto|Verzonden|Aan|Onderwerp)\s*:\*?",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"^\s*>")


@dataclass(frozen=True)
class SplitBody:
    """The user's own text and the thread it replied to (oldest first)."""

    text: str
    thread: tuple[ThreadItem, ...]


def quote_level(line: str) -> int:
    """Number of ``>`` markers a line is quoted with (``> >`` counts 2)."""
    level = 0
    for ch in line.lstrip():
        if ch == ">":
            level += 1
        elif ch not in " \t":
            break
    return level


def _unquote(line: str) -> str:
    stripped = line.lstrip()
    if stripped.startswith(">"):
        stripped = stripped[1:]
        if stripped.startswith(" "):
            stripped = stripped[1:]
    return stripped


def _attribution_at(lines: list[str], i: int) -> int:
    """Number of lines (1-3) of an attribution starting at line ``i``, or 0."""
    for width in (1, 2, 3):
        if i + width > len(lines):
            break
        # Every attribution form ends with a colon: skip the regexes otherwise.
        if not lines[i + width - 1].rstrip().endswith(":"):
            continue
        chunk = " ".join(s.strip() for s in lines[i : i + width])
        if width > 1 and any(not s.strip() for s in lines[i : i + width]):
            break
        if _ATTRIBUTION.match(chunk) or (width == 1 and _ATTRIBUTION_SHORT.match(chunk)):
            return width
    return 0


def _header_block_at(lines: list[str], i: int) -> bool:
    """An unquoted Outlook-style header block ("From:" then Sent/To/Subject lines)."""
    if not _HEADER_FROM.match(lines[i]):
        return False
    following = [ln for ln in lines[i + 1 : i + 6] if ln.strip()]
    return sum(1 for ln in following[:4] if _HEADER_NEXT.match(ln)) >= 2


def _next_content(lines: list[str], i: int) -> int:
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i


def split_quoted(body: str) -> SplitBody:
    """Separate the user's words from quoted history."""
    lines = body.split("\n")
    own: list[str] = []
    history: list[_Quoted] = []  # in body order: newest quote first
    i = 0
    while i < len(lines):
        line = lines[i]
        if quote_level(line) > 0:
            block, i = _take_quoted(lines, i)
            history.append(_Quoted("", "", block))
            continue
        if _SEPARATOR.match(line) or _RULE.match(line):
            j = _next_content(lines, i + 1)
            if _SEPARATOR.match(line) or (j < len(lines) and _header_block_at(lines, j)):
                history.append(_outlook_block(lines[j:]))
                break
        if _header_block_at(lines, i):
            history.append(_outlook_block(lines[i:]))
            break
        width = _attribution_at(lines, i)
        if width:
            j = _next_content(lines, i + width)
            if j >= len(lines) or quote_level(lines[j]) > 0:
                attribution = " ".join(s.strip() for s in lines[i : i + width])
                block, i = _take_quoted(lines, j)
                sender, date = _attribution_parts(attribution)
                history.append(_Quoted(sender, date, block))
                continue
        own.append(line)
        i += 1
    return SplitBody(_tidy(own), _thread(history))


@dataclass(frozen=True)
class _Quoted:
    sender: str
    date: str
    lines: list[str]


_HEADER_FIELD = re.compile(r"^\s*\*?([^:*]{1,20}?)\s*:\*?\s*(.*)$")
_DATE_FIELDS = frozenset(
    {"sent", "date", "gesendet", "datum", "envoyé", "envoye", "enviado", "inviato", "verzonden"}
)


def _outlook_block(lines: list[str]) -> _Quoted:
    """An unquoted header block ("From: ... Sent: ...") and the message below it."""
    sender = date = ""
    i = 0
    while i < len(lines) and lines[i].strip():
        m = _HEADER_FIELD.match(lines[i])
        if m is None:
            break
        key = m.group(1).strip().lower()
        if i == 0:
            sender = m.group(2).strip()
        elif key in _DATE_FIELDS:
            date = m.group(2).strip()
        i += 1
    return _Quoted(sender, date, lines[i:])


def _take_quoted(lines: list[str], i: int) -> tuple[list[str], int]:
    block: list[str] = []
    while i < len(lines) and (quote_level(lines[i]) > 0 or not lines[i].strip()):
        block.append(_unquote(lines[i]) if lines[i].strip() else "")
        i += 1
    return block, i


def _tidy(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


_SENDER = re.compile(r"(?:,\s*|\s)([^,]*?)\s+" + _WROTE, re.IGNORECASE)
_DATED = re.compile(
    r"^\s*(?:On|Am|Le|El|Il|Op|Em|Den|Dnia)\s+(.*),\s*(.*?)\s+" + _WROTE, re.IGNORECASE
)
_TIME_THEN_NAME = re.compile(r"^(.*?\d{1,2}:\d{2}(?:\s*[AaPp]\.?[Mm]\.?)?)\s+(.*)$")


_GERMAN = re.compile(r"^\s*Am\s+(.*?),?\s+schrieb\s+(.*?)\s*:\s*$", re.IGNORECASE)


def _attribution_parts(attribution: str) -> tuple[str, str]:
    """(sender, date) from "On <date>, <sender> wrote:" and its variants."""
    german = _GERMAN.match(attribution)
    if german:
        return german.group(2).strip(), german.group(1).strip()
    m = _DATED.match(attribution)
    if m:
        date, sender = m.group(1).strip(), m.group(2).strip()
        timed = _TIME_THEN_NAME.match(sender)  # Gmail: "..., 2023 at 5:00 AM Bob <b@x>"
        if timed:
            date, sender = f"{date}, {timed.group(1)}", timed.group(2)
        return sender, date
    m = _SENDER.search(attribution)
    return (m.group(1).strip() if m else ""), ""


def _thread(history: list[_Quoted]) -> tuple[ThreadItem, ...]:
    """Quoted blocks as thread items, nested quotes split out, oldest first."""
    newest_first: list[ThreadItem] = []
    for quoted in history:
        inner = split_quoted("\n".join(quoted.lines))
        if inner.text:
            newest_first.append(ThreadItem(sender=quoted.sender, date=quoted.date, text=inner.text))
        # the quoted message's own history is older still
        newest_first.extend(reversed(inner.thread))
    return tuple(reversed(newest_first))
