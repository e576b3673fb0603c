"""Stream messages out of an mbox file without loading it into memory.

Messages start at a ``From `` line at the top of the file or after a blank
line. Body lines escaped as ``>From `` (mboxrd: any number of ``>``) lose one
``>``. A truncated last message is returned as it is; cleaning decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from panza.daemon.errors import MboxError

_ESCAPED_FROM = re.compile(rb"^>(>*From )")
_READ_SIZE = 1 << 20


@dataclass(frozen=True)
class MboxMessage:
    """One raw message and where it was found."""

    raw: bytes
    offset: int
    envelope: bytes


def read_mbox(path: Path) -> Iterator[MboxMessage]:
    """Yield every message of the mbox at ``path``; raise :class:`MboxError` if it is not one."""
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        raise MboxError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise MboxError(f"{path} is a folder, not an mbox file") from None
    except OSError as exc:
        raise MboxError(f"cannot read {path}: {exc.strerror}") from None
    with fh:
        yield from iter_mbox(fh, str(path))


def iter_mbox(fh: BinaryIO, name: str = "input") -> Iterator[MboxMessage]:
    """Yield messages from an open binary mbox stream."""
    lines: list[bytes] = []
    start = 0
    envelope = b""
    offset = 0
    previous_blank = True
    seen_any = False
    for line in iter(lambda: fh.readline(_READ_SIZE), b""):
        if line.startswith(b"From ") and previous_blank:
            if seen_any:
                yield MboxMessage(_finish(lines), start, envelope)
            seen_any = True
            lines = []
            start = offset
            envelope = line
        elif not seen_any:
            if line.strip():
                raise MboxError(
                    f"{name} is not an mbox file: it must start with a 'From ' line"
                    " (export your Sent folder as mbox)"
                )
        elif line.startswith(b">") and _ESCAPED_FROM.match(line):
            lines.append(line[1:])
        else:
            lines.append(line)
        previous_blank = line in (b"\n", b"\r\n")
        offset += len(line)
    if seen_any:
        yield MboxMessage(_finish(lines), start, envelope)
    elif offset == 0:
        raise MboxError(f"{name} is empty")


def _finish(lines: list[bytes]) -> bytes:
    # The blank line before the next "From " separates messages; it is not content.
    if lines and lines[-1] in (b"\n", b"\r\n"):
        lines = lines[:-1]
    return b"".join(lines)


def envelope_date(line: bytes) -> datetime | None:
    """The asctime date on a ``From `` separator line, a fallback for a missing Date header."""
    parts = line.decode("ascii", "replace").split()
    try:
        when = datetime.strptime(" ".join(parts[2:7]), "%a %b %d %H:%M:%S %Y")
    except ValueError:
        return None
    return when.replace(tzinfo=UTC)
