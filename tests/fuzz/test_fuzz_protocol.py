"""Protocol lines: any bytes end in a request or a ProtocolError whose reply encodes."""

from __future__ import annotations

import json
from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from panza.daemon.protocol import (
    PARAMS,
    ErrorCode,
    ProtocolError,
    Request,
    encode,
    parse_request,
    reply_error,
)
from tests.fuzz.conftest import any_text, json_values, logged

pytestmark = [pytest.mark.fuzz, pytest.mark.timeout(300)]
CODES = set(get_args(ErrorCode))
FIELDS = sorted({name for model in PARAMS.values() for name in model.model_fields} | {"from"})


def outcome(line: bytes) -> Request | ProtocolError:
    """Parse ``line``; nothing but a ProtocolError may escape, nothing may be logged."""
    with logged() as records:
        try:
            result: Request | ProtocolError = parse_request(line)
        except ProtocolError as exc:
            assert exc.code in CODES and exc.message
            reply = encode(reply_error(exc.request_id, exc.code, exc.message))
            assert json.loads(reply.decode("utf-8"))["error"]["code"] == exc.code
            result = exc
    assert records == []
    return result


@given(st.binary(max_size=300))
def test_random_bytes(line: bytes) -> None:
    outcome(line)


params = st.dictionaries(st.sampled_from(FIELDS) | any_text, json_values, max_size=6)
requests = st.fixed_dictionaries(
    {
        "v": st.sampled_from([1, 1, 1, 2, "1", None]),
        "id": any_text | st.integers(),
        "method": st.sampled_from(sorted(PARAMS)) | any_text,
    },
    optional={"params": params | json_values, "extra": json_values},
)


@given(requests)
def test_request_shaped_objects(request: dict[str, object]) -> None:
    line = json.dumps(request).encode("utf-8", "surrogatepass")
    got = outcome(line)
    if isinstance(got, Request):
        reply = encode({"id": got.id, "ok": True, "result": {"echo": got.method}})
        assert json.loads(reply)["id"] == got.id


@given(requests, st.data())
def test_truncated_lines(request: dict[str, object], data: st.DataObject) -> None:
    line = json.dumps(request).encode("utf-8", "surrogatepass")
    cut = data.draw(st.integers(0, max(0, len(line) - 1)))
    assert isinstance(outcome(line[:cut]), ProtocolError)


@given(st.integers(1, 20_000), st.sampled_from([b"[", b'{"a":', b"[{}, "]))
def test_deep_nesting(depth: int, opener: bytes) -> None:
    outcome(b'{"v":1,"id":"x","method":"ping","params":' + opener * depth)
    outcome(b"[" * depth + b"]" * depth)
