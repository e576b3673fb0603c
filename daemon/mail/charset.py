"""Decode text whatever the charset label says: declared, misdeclared, unknown or missing."""

from __future__ import annotations

import codecs
import re
from email.header import decode_header

# Labels mail software writes that Python's codec registry does not know,
# and labels that in practice mean a superset (WHATWG's encoding rules).
_ALIASES = {
    "unknown-8bit": "",
    "x-unknown": "",
    "unknown": "",
    "default": "",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "iso-8859-8-i": "iso-8859-8",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-mac-roman": "mac_roman",
    "utf8": "utf-8",
    "x-user-defined": "",
}


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):  # ValueError: a label with a NUL in it (found by fuzzing)
        return None


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Best-effort decode: the declared charset, then UTF-8, then Windows-1252; never raises."""
    codec = _codec(declared)
    tried = []
    for candidate in (codec, "utf-8", "cp1252"):
        if candidate is None or candidate in tried:
            continue
        tried.append(candidate)
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    return data.decode(codec or "utf-8", errors="replace")


_FOLD = re.compile(r"\r?\n[ \t]+")


def decode_header_value(raw: str) -> str:
    """Unfold a raw header value and decode RFC 2047 words and raw 8-bit bytes."""
    value = _FOLD.sub(" ", raw).strip()
    if not value.isascii() and any("\udc80" <= ch <= "\udcff" for ch in value):
        # 8-bit bytes in a header arrive as surrogate escapes; most are UTF-8.
        value = decode_text(value.encode("ascii", "surrogateescape"))
    if "=?" not in value:
        return value
    try:
        parts = decode_header(value)
    except Exception:  # a malformed encoded word: keep the raw text
        return value
    out = []
    for chunk, charset in parts:
        out.append(decode_text(chunk, charset) if isinstance(chunk, bytes) else chunk)
    return "".join(out).strip()
