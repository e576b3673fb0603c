"""Native messaging frames: a uint32 length in native byte order, then UTF-8 JSON.

Pure functions on bytes plus one incremental reader. Browser -> host frames
over :data:`MAX_IN` are refused with ``too_large``; host -> browser frames are
kept at or below :data:`MAX_OUT` by :func:`split`:

* an event whose ``text`` is too long becomes several events of the same kind,
  each with a piece of the text (token pieces simply concatenate);
* anything else too big (a reply with a huge result) travels as ``fragment``
  events ``{"id", "event": "fragment", "final": bool, "data": str}``: join the
  ``data`` of one id's fragments up to the one with ``"final": true`` and parse
  the result as JSON to get the original message back.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass

TYPE_CHECKING = False  # typing's costs start-up time; mypy still sees it as True
if TYPE_CHECKING:
    from typing import IO, Any, Literal, TypeAlias

    Message: TypeAlias = dict[str, Any]
    ErrorCode: TypeAlias = Literal["bad_request", "too_large"]

HEADER = struct.Struct("=I")  # native byte order, 4 bytes
MAX_IN = 1 << 20  # browser -> host: larger frames are refused
MAX_OUT = (1 << 20) - 1  # host -> browser: browsers drop frames of 1 MiB and more
_SKIP_CHUNK = 1 << 16
_HEAD = 4096  # how much of a refused frame is searched for its request id
_MIN_BUDGET = 64
_ID = re.compile(rb'"id"\s*:\s*"([^"\\]{1,200})"')


@dataclass(frozen=True)
class FrameError:
    """A frame that cannot be relayed; it is answered with an error reply and reading goes on."""

    code: ErrorCode
    message: str
    request_id: str | None = None

    def reply(self) -> Message:
        return error_reply(self.request_id, self.code, self.message)


def error_reply(request_id: str | None, code: str, message: str) -> Message:
    """A protocol error reply, as the daemon would send it."""
    return {"id": request_id, "ok": False, "error": {"code": code, "message": message}}


def dump(value: Any) -> bytes:
    """Compact UTF-8 JSON (ASCII escapes only when a string holds a lone surrogate)."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, separators=(",", ":")).encode("ascii")


def frame(payload: bytes) -> bytes:
    """Header + payload."""
    return HEADER.pack(len(payload)) + payload


def encode(message: Message) -> bytes:
    """One frame holding ``message``; ValueError when it is over :data:`MAX_OUT`."""
    payload = dump(message)
    if len(payload) > MAX_OUT:
        raise ValueError(f"message is {len(payload)} bytes; split it first")
    return frame(payload)


def sniff_id(data: bytes) -> str | None:
    """The request id of a message that cannot be parsed, when it is plainly there."""
    found = _ID.search(data[:_HEAD])
    if found is None:
        return None
    try:
        return found.group(1).decode("utf-8")
    except UnicodeDecodeError:
        return None


def parse(payload: bytes) -> Message | FrameError:
    """The JSON object in one frame's payload, or what is wrong with it."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        return FrameError(
            "bad_request", f"message is not UTF-8 (bad byte at {exc.start})", sniff_id(payload)
        )
    try:
        value = json.loads(text)
    except ValueError as exc:
        return FrameError("bad_request", f"message is not JSON: {exc}", sniff_id(payload))
    except RecursionError:  # "[[[[..." thousands deep: refuse it, keep reading
        return FrameError("bad_request", "message is JSON nested too deeply", sniff_id(payload))
    if not isinstance(value, dict):
        kind = "array" if isinstance(value, list) else type(value).__name__
        return FrameError("bad_request", f"a message must be a JSON object, not {kind}")
    return value


def decode(data: bytes, max_size: int = MAX_IN) -> Message | FrameError:
    """Exactly one whole frame (header + payload) to its message."""
    if len(data) < HEADER.size:
        return _truncated_header(len(data))
    (size,) = HEADER.unpack_from(data)
    body = data[HEADER.size :]
    if size > max_size:
        return _too_large(size, max_size, body)
    if len(body) < size:
        return _truncated_body(size, len(body))
    if len(body) > size:
        return FrameError("bad_request", f"{len(body) - size} bytes after the frame's end")
    return parse(body)


class FrameReader:
    """Reads frames from a binary stream one at a time; None once the stream has ended."""

    def __init__(self, stream: IO[bytes], max_size: int = MAX_IN) -> None:
        self._stream = stream
        self._max = max_size

    def read(self) -> Message | FrameError | None:
        header = self._read_exactly(HEADER.size)
        if not header:
            return None
        if len(header) < HEADER.size:
            return _truncated_header(len(header))
        (size,) = HEADER.unpack(header)
        if size > self._max:
            return self._skip(size)
        payload = self._read_exactly(size)
        if len(payload) < size:
            return _truncated_body(size, len(payload))
        return parse(payload)

    def _read_exactly(self, size: int) -> bytes:
        chunks: list[bytes] = []
        remaining = size
        while remaining:
            chunk = self._stream.read(remaining)
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def _skip(self, size: int) -> FrameError:
        """Read past a refused frame, keeping its head to find the request id."""
        head = self._read_exactly(min(size, _HEAD))
        remaining = size - len(head)
        while remaining > 0:
            chunk = self._stream.read(min(remaining, _SKIP_CHUNK))
            if not chunk:
                break
            remaining -= len(chunk)
        return _too_large(size, self._max, head)


def split(message: Message, limit: int = MAX_OUT) -> list[bytes]:
    """Payloads of at most ``limit`` bytes carrying ``message`` (one, unless it is too big)."""
    whole = dump(message)
    if len(whole) <= limit:
        return [whole]
    text = message.get("text")
    if "event" in message and isinstance(text, str):
        pieces = _pieces({**message, "text": ""}, "text", text, limit)
        if pieces:
            return [dump({**message, "text": piece}) for piece in pieces]
    request_id = message.get("id")
    template = {"id": request_id, "event": "fragment", "final": False, "data": ""}
    pieces = _pieces(template, "data", whole.decode("utf-8"), limit)
    if not pieces:
        raise ValueError(f"a frame limit of {limit} bytes cannot carry this message")
    last = len(pieces) - 1
    return [
        dump({"id": request_id, "event": "fragment", "final": i == last, "data": piece})
        for i, piece in enumerate(pieces)
    ]


def _pieces(template: Message, field: str, text: str, limit: int) -> list[str]:
    """``text`` cut so that ``template`` with any one piece in ``field`` fits in ``limit``."""
    budget = limit - len(dump(template))
    if budget < _MIN_BUDGET:
        return []
    pieces: list[str] = []
    start = 0
    while start < len(text):
        size = min(len(text) - start, budget)  # a char costs at least one byte
        while True:
            piece = text[start : start + size]
            cost = len(dump(piece)) - 2  # without the quotes
            if cost <= budget:
                break
            size = max(1, min(size - 1, size * budget // cost))
        pieces.append(piece)
        start += size
    return pieces


def _truncated_header(got: int) -> FrameError:
    return FrameError(
        "bad_request", f"truncated frame: the input ended after {got} of 4 length bytes"
    )


def _truncated_body(size: int, got: int) -> FrameError:
    return FrameError(
        "bad_request", f"truncated frame: expected {size} bytes, the input ended after {got}"
    )


def _too_large(size: int, limit: int, head: bytes) -> FrameError:
    return FrameError(
        "too_large",
        f"message is {size} bytes; the limit is {limit} bytes (1 MiB): send less text,"
        " e.g. fewer or shorter thread messages",
        sniff_id(head),
    )
