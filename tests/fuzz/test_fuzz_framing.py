"""Native-messaging framing: random byte streams and random read splits."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from panza.native_host import framing
from panza.native_host.framing import FrameError, FrameReader
from tests.fuzz.conftest import any_text, json_values

pytestmark = [pytest.mark.fuzz, pytest.mark.timeout(300)]


class Trickle(io.RawIOBase):
    """A stream that hands out ``data`` in the given read sizes (as a pipe may)."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self.data, self.sizes, self.pos = data, sizes or [1 << 20], 0

    def read(self, size: int = -1) -> bytes:
        step = self.sizes[self.pos % len(self.sizes)] if self.pos < len(self.data) else 0
        n = len(self.data) - self.pos if size < 0 else min(size, max(1, step))
        chunk = self.data[self.pos : self.pos + n]
        self.pos += len(chunk)
        return chunk


def read_all(data: bytes, sizes: list[int], max_size: int = framing.MAX_IN) -> list[Any]:
    reader = FrameReader(Trickle(data, sizes), max_size)  # type: ignore[arg-type]
    items = []
    for _ in range(len(data) // 4 + 2):  # every item consumes at least 4 bytes, or ends
        item = reader.read()
        if item is None:
            return items
        assert isinstance(item, dict | FrameError)
        if isinstance(item, FrameError):
            json.loads(framing.dump(item.reply()))  # its reply is a valid message
        items.append(item)
    raise AssertionError("the reader neither ended nor consumed its input")


split_sizes = st.lists(st.integers(1, 64), max_size=8)


@given(st.binary(max_size=2000), split_sizes, st.integers(0, 4096))
def test_random_byte_streams_end_in_messages_or_errors(
    data: bytes, sizes: list[int], max_size: int
) -> None:
    read_all(data, sizes, max_size)


objects = st.dictionaries(any_text, json_values, max_size=5)


@given(st.lists(objects, max_size=6), split_sizes)
def test_frames_survive_any_read_split(messages: list[dict[str, Any]], sizes: list[int]) -> None:
    data = b"".join(framing.frame(framing.dump(m)) for m in messages)
    assert read_all(data, sizes) == messages


@given(objects, st.binary(max_size=40), split_sizes)
def test_garbage_after_a_frame_does_not_lose_it(
    message: dict[str, Any], garbage: bytes, sizes: list[int]
) -> None:
    items = read_all(framing.frame(framing.dump(message)) + garbage, sizes)
    assert items[0] == message


@given(any_text | st.text(max_size=3000), st.integers(200, 4000), st.booleans())
def test_split_stays_under_the_limit_and_rebuilds(text: str, limit: int, event: bool) -> None:
    message: dict[str, Any] = {"id": "r1", "event": "token", "text": text}
    if not event:
        message = {"id": "r1", "ok": True, "result": {"text": text}}
    payloads = framing.split(message, limit)
    assert all(len(p) <= limit for p in payloads)
    parts = [json.loads(p) for p in payloads]
    if len(parts) == 1:
        assert parts[0] == message
    elif event:
        assert "".join(p["text"] for p in parts) == text
    else:
        assert [p["final"] for p in parts] == [False] * (len(parts) - 1) + [True]
        assert json.loads("".join(p["data"] for p in parts)) == message
