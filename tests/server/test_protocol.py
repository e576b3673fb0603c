"""Request validation on literal lines: every malformed input gets a clear bad_request."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from panza.daemon import protocol
from panza.daemon.protocol import (
    MAX_LINE,
    CancelParams,
    DraftParams,
    ProtocolError,
    encode,
    parse_request,
    reply_error,
)


def req(method: str, params: object = None, **extra: object) -> bytes:
    body: dict[str, object] = {"v": 1, "id": "c1", "method": method, **extra}
    if params is not None:
        body["params"] = params
    return json.dumps(body).encode()


def test_valid_draft() -> None:
    r = parse_request(
        req(
            "draft",
            {
                "instruction": "Decline",
                "thread": [{"from": "Tom", "date": "Mon", "text": "Can you come?"}],
            },
        )
    )
    assert r.id == "c1" and isinstance(r.params, DraftParams)
    assert r.params.thread[0].sender == "Tom" and r.params.mode == "new"


def test_reply_may_have_empty_instruction() -> None:
    r = parse_request(req("draft", {"mode": "reply", "thread": [{"text": "Lunch?"}]}))
    assert r.params.instruction == ""


@pytest.mark.parametrize(
    ("line", "message", "request_id"),
    [
        (b"not json", "not JSON", None),
        (b"\xff\xfe", "not JSON", None),
        (b"[1, 2]", "a request is a JSON object", None),
        (b'{"v": 1, "method": "ping"}', "'id' must be a non-empty string", None),
        (b'{"v": 1, "id": 7, "method": "ping"}', "'id' must be a non-empty string", None),
        (b'{"v": 2, "id": "c1", "method": "ping"}', "protocol version 2 unsupported", "c1"),
        (req("ping", x=1), "unknown field(s): x", "c1"),
        (req("drft"), "unknown method 'drft' (did you mean 'draft'?)", "c1"),
        (req("fly"), "unknown method 'fly'; one of ping, status", "c1"),
        (req("draft", []), "'params' must be a JSON object", "c1"),
        (req("draft", {}), "give an instruction (or, for a reply, the thread to answer)", "c1"),
        (req("draft", {"instruction": "x", "mode": "old"}), "params.mode: Input should be", "c1"),
        (req("draft", {"instruction": "x", "temperature": 3}), "params.temperature", "c1"),
        (req("draft", {"instruction": "x", "max_new_tokens": 0}), "params.max_new_tokens", "c1"),
        (
            req("draft", {"instruction": "x", "thread": [{"from": "Tom"}]}),
            "params.thread.0.text: Field required",
            "c1",
        ),
        (req("feedback", {"draft_id": "d1"}), "params.text: Field required", "c1"),
        (req("cancel", {}), "params.target: Field required", "c1"),
        (req("ping", {"x": 1}), "params.x: unknown field", "c1"),
    ],
)
def test_bad_requests(line: bytes, message: str, request_id: str | None) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_request(line)
    assert info.value.code == "bad_request"
    assert message in info.value.message
    assert info.value.request_id == request_id


def test_too_large() -> None:
    with pytest.raises(ProtocolError) as info:
        parse_request(b" " * (MAX_LINE + 1))
    assert info.value.code == "too_large"


def test_encode_is_one_line_of_utf8() -> None:
    line = encode(reply_error("c1", "busy", "a draft is running\nplease wait — ok"))
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line)["error"] == {
        "code": "busy",
        "message": "a draft is running\nplease wait — ok",
    }


def test_the_protocol_docs_name_every_method() -> None:
    """The README and this module's docstring list the methods a client may call."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    sentence = re.search(r"protocol of DESIGN\.md, with the methods (.*?)\.", readme, re.S)
    assert sentence is not None, "README lost its list of protocol methods"
    in_readme = set(re.findall(r"`(\w+)`", sentence.group(1)))
    docstring = protocol.__doc__ or ""
    listed = docstring[docstring.index("Methods:") :].split(".")[0]
    in_docstring = set(re.findall(r"``(\w+)``", listed))
    assert in_readme == set(protocol.PARAMS)
    assert in_docstring == set(protocol.PARAMS)


def test_params_arrive_as_the_methods_model_once_parsed() -> None:
    req = parse_request(b'{"v": 1, "id": "c1", "method": "cancel", "params": {"target": "c0"}}')
    assert req.params_as(CancelParams).target == "c0"
    with pytest.raises(ProtocolError) as info:
        req.params_as(DraftParams)
    assert info.value.code == "internal" and info.value.request_id == "c1"
