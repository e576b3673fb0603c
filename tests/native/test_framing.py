"""Native messaging framing on literal bytes: round trips, every bad input, outgoing splits."""

from __future__ import annotations

import io
import json
import sys

import pytest

from panza.native_host import framing
from panza.native_host.framing import MAX_IN, MAX_OUT, FrameError, FrameReader

pytestmark = pytest.mark.skipif(
    sys.byteorder != "little", reason="literal frames below are little-endian"
)

PING = b'{"v":1,"id":"a","method":"ping"}'  # 32 bytes
PING_FRAME = b"\x20\x00\x00\x00" + PING


class Trickle(io.RawIOBase):
    """A pipe that hands out one byte per read, as a slow browser might."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk, self.data = self.data[:1], self.data[1:]
        return chunk


def read_all(data: bytes) -> list[dict[str, object] | FrameError]:
    reader = FrameReader(io.BytesIO(data))
    out = []
    while (item := reader.read()) is not None:
        out.append(item)
    return out


def test_encode_is_native_length_then_utf8_json() -> None:
    expected = b'\x16\x00\x00\x00{"id":"a","text":"\xc3\xa9"}'  # 22 bytes of JSON
    assert framing.encode({"id": "a", "text": "é"}) == expected
    assert framing.frame(PING) == PING_FRAME


def test_decode_round_trips() -> None:
    assert framing.decode(PING_FRAME) == {"v": 1, "id": "a", "method": "ping"}
    message = {"id": "x", "event": "token", "text": 'Grüße, "Tom"\n😀'}
    assert framing.decode(framing.encode(message)) == message


def test_reader_reads_frames_back_to_back_and_from_a_trickle() -> None:
    data = PING_FRAME + framing.encode({"id": "b", "n": [1, 2]})
    assert read_all(data) == [{"v": 1, "id": "a", "method": "ping"}, {"id": "b", "n": [1, 2]}]
    reader = FrameReader(Trickle(data))  # type: ignore[arg-type]
    assert reader.read() == {"v": 1, "id": "a", "method": "ping"}
    assert reader.read() == {"id": "b", "n": [1, 2]}
    assert reader.read() is None


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        (b"\x02\x00\x00\x00\xff\xfe", "bad_request", "not UTF-8"),
        (b"\x03\x00\x00\x00{x}", "bad_request", "not JSON"),
        (b"\x00\x00\x00\x00", "bad_request", "not JSON"),
        (b"\x03\x00\x00\x00[1]", "bad_request", "JSON object, not array"),
        (b'\x03\x00\x00\x00"s"', "bad_request", "JSON object, not str"),
        (b"\x01\x00\x00\x003", "bad_request", "JSON object, not int"),
        (b"\x04\x00\x00\x00null", "bad_request", "JSON object, not NoneType"),
    ],
)
def test_bad_payloads_are_errors_and_reading_goes_on(data: bytes, code: str, words: str) -> None:
    items = read_all(data + PING_FRAME)
    assert len(items) == 2
    error = items[0]
    assert isinstance(error, FrameError)
    assert error.code == code and words in error.message
    assert error.reply() == {
        "id": None,
        "ok": False,
        "error": {"code": code, "message": error.message},
    }
    assert items[1] == {"v": 1, "id": "a", "method": "ping"}


def test_bad_json_keeps_a_plainly_visible_id() -> None:
    (error,) = read_all(b'\x14\x00\x00\x00{"id":"r7","v":1,oo}')
    assert isinstance(error, FrameError) and error.request_id == "r7"


def test_truncated_header_and_body_at_end_of_input() -> None:
    (error,) = read_all(b"\x20\x00")
    assert isinstance(error, FrameError) and "after 2 of 4 length bytes" in error.message
    items = read_all(PING_FRAME + b'\x64\x00\x00\x00{"id":')
    assert items[0] == {"v": 1, "id": "a", "method": "ping"}
    assert isinstance(items[1], FrameError)
    assert items[1].message == "truncated frame: expected 100 bytes, the input ended after 6"
    assert len(items) == 2  # and then the end


def test_frames_over_one_mib_are_refused_skipped_and_keep_their_id() -> None:
    body = b'{"v":1,"id":"big","method":"draft","params":{"instruction":"' + b"x" * MAX_IN + b'"}}'
    data = len(body).to_bytes(4, "little") + body + PING_FRAME
    items = read_all(data)
    assert isinstance(items[0], FrameError)
    assert items[0].code == "too_large" and items[0].request_id == "big"
    assert f"{len(body)} bytes; the limit is {MAX_IN}" in items[0].message
    assert items[1] == {"v": 1, "id": "a", "method": "ping"}


def test_exactly_one_mib_is_accepted() -> None:
    head, tail = b'{"id":"f","pad":"', b'"}'
    body = head + b"p" * (MAX_IN - len(head) - len(tail)) + tail
    assert len(body) == MAX_IN
    (item,) = read_all(len(body).to_bytes(4, "little") + body)
    assert isinstance(item, dict) and item["id"] == "f"
    over = head + b"p" * (MAX_IN + 1 - len(head) - len(tail)) + tail
    (refused,) = read_all(len(over).to_bytes(4, "little") + over)
    assert isinstance(refused, FrameError) and refused.code == "too_large"


def test_decode_reports_short_long_and_oversized_frames() -> None:
    short = framing.decode(PING_FRAME[:-1])
    assert isinstance(short, FrameError) and "expected 32 bytes" in short.message
    long = framing.decode(PING_FRAME + b"x")
    assert isinstance(long, FrameError) and "1 bytes after the frame's end" in long.message
    big = framing.decode(b"\x01\x00\x10\x00{")
    assert isinstance(big, FrameError) and big.code == "too_large"


def test_small_messages_go_out_as_one_frame() -> None:
    message = {"id": "c", "event": "token", "text": "Dear"}
    assert framing.split(message) == [b'{"id":"c","event":"token","text":"Dear"}']


@pytest.mark.parametrize("unit", ["a", 'q"\\\n', "\x01", "é", "😀"])
def test_a_long_token_becomes_several_tokens_under_one_mib(unit: str) -> None:
    text = unit * (3 * MAX_OUT // len(unit.encode()) + 7)
    message = {"id": "c", "event": "token", "text": text}
    payloads = framing.split(message)
    assert len(payloads) >= 3
    parts = [json.loads(p) for p in payloads]
    assert all(len(p) <= MAX_OUT for p in payloads)
    assert all(p.keys() == message.keys() and p["event"] == "token" for p in parts)
    assert "".join(p["text"] for p in parts) == text


def test_a_huge_reply_travels_as_fragments_that_rebuild_it() -> None:
    reply = {
        "id": "d",
        "ok": True,
        "result": {"text": "ü" * MAX_OUT, "retrieved": [{"subject": "s" * 1000}] * 900},
    }
    payloads = framing.split(reply)
    assert all(len(p) <= MAX_OUT for p in payloads)
    parts = [json.loads(p) for p in payloads]
    assert [p["final"] for p in parts] == [False] * (len(parts) - 1) + [True]
    assert all(p["id"] == "d" and p["event"] == "fragment" for p in parts)
    assert json.loads("".join(p["data"] for p in parts)) == reply


def test_encode_refuses_what_must_be_split_and_dump_survives_lone_surrogates() -> None:
    with pytest.raises(ValueError, match="split it first"):
        framing.encode({"text": "x" * MAX_OUT})
    assert framing.dump({"t": "\ud800"}) == b'{"t":"\\ud800"}'
