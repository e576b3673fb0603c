"""Literal edge cases of the protocol: absurd nesting and lone surrogates (issue 15, item 6)."""

from __future__ import annotations

import json

import pytest

from panza.daemon.protocol import TOO_DEEP, ProtocolError, encode, parse_request, reply_ok

DEEP = b'{"v":1,"id":"deep","method":"ping","params":' + b"[" * 100_000 + b"]" * 100_000 + b"}"


def test_json_nested_past_the_recursion_limit_is_a_bad_request() -> None:
    with pytest.raises(ProtocolError) as info:
        parse_request(DEEP)
    assert (info.value.code, info.value.message) == ("bad_request", TOO_DEEP)


@pytest.mark.parametrize(
    ("line", "where", "request_id"),
    [
        (b'{"v":1,"id":"c1","method":"draft","params":{"instruction":"ok \\ud83d"}}',
         "params.instruction", "c1"),
        (b'{"v":1,"id":"c1","method":"draft","params":{"instruction":"x","to":["\\udc00"]}}',
         "params.to.0", "c1"),
        (b'{"v":1,"id":"\\ud800","method":"ping"}', "id", "\ud800"),
        # the raw bytes of a surrogate (CESU-style) pass json.loads too
        (b'{"v":1,"id":"c1","method":"ping","params":{"\xed\xa0\x80":1}}', "a key in params",
         "c1"),
    ],
)  # fmt: skip
def test_a_lone_surrogate_anywhere_is_a_bad_request_that_says_where(
    line: bytes, where: str, request_id: str
) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_request(line)
    assert info.value.code == "bad_request" and info.value.request_id == request_id
    assert info.value.message.startswith(f"{where} holds a lone UTF-16 surrogate")


def test_a_reply_with_a_lone_surrogate_still_encodes_and_round_trips() -> None:
    line = encode(reply_ok("\ud800", {"text": "Dear Ann — fine"}))
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    line.decode("utf-8")  # valid UTF-8: the surrogate travels as a JSON escape
    assert json.loads(line) == {"id": "\ud800", "ok": True, "result": {"text": "Dear Ann — fine"}}


def test_well_formed_astral_text_is_kept() -> None:
    request = parse_request(
        json.dumps(
            {"v": 1, "id": "c1", "method": "draft", "params": {"instruction": "thanks 👍"}},
        ).encode()
    )
    assert request.params.instruction == "thanks 👍"
