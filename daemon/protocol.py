"""The daemon protocol: newline-delimited JSON requests, events and replies (DESIGN.md).

Pure: bytes in, validated requests out; replies and events built as dicts.
Every client (CLI, tray, native host) speaks exactly this.

Methods: ``ping``, ``status``, ``draft`` (streams tokens), ``cancel``, ``sync``,
``retrain``, ``pause``, ``resume``, ``feedback``, ``reload`` and ``stop`` (shuts the
daemon down). The native host relays only those the extensions use.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from panza.daemon.errors import PanzaError

VERSION = 1
MAX_LINE = 1 << 20  # 1 MiB per request line
TOO_DEEP = "JSON nested too deeply; a request needs only a few levels"
_SURROGATE = re.compile("[\ud800-\udfff]")

ErrorCode = Literal[
    "bad_request", "too_large", "not_ready", "busy", "cancelled", "unavailable", "internal"
]


class ProtocolError(PanzaError):
    """A request that cannot be served; carries the reply's error code."""

    def __init__(self, code: ErrorCode, message: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.code: ErrorCode = code
        self.message = message
        self.request_id = request_id


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NoParams(_Params):
    pass


class ThreadMessage(_Params):
    """One earlier message of the thread being replied to (oldest first)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    sender: str = Field(default="", alias="from", max_length=1000)
    date: str = Field(default="", max_length=200)
    text: str = Field(max_length=200_000)


class DraftParams(_Params):
    instruction: str = Field(default="", max_length=10_000)
    mode: Literal["new", "reply"] = "new"
    subject: str = Field(default="", max_length=1000)
    to: list[str] = Field(default_factory=list, max_length=100)
    thread: list[ThreadMessage] = Field(default_factory=list, max_length=50)
    max_new_tokens: Annotated[int, Field(ge=1, le=4096)] | None = None
    temperature: Annotated[float, Field(ge=0.0, le=2.0)] | None = None

    @model_validator(mode="after")
    def _something_to_do(self) -> DraftParams:
        if not self.instruction.strip() and not (self.mode == "reply" and self.thread):
            raise ValueError("give an instruction (or, for a reply, the thread to answer)")
        return self


class CancelParams(_Params):
    target: str = Field(min_length=1, max_length=200, description="id of the request to stop")


class SyncParams(_Params):
    account: str | None = None


class RetrainParams(_Params):
    full: bool = False


class FeedbackParams(_Params):
    draft_id: str = Field(min_length=1, max_length=200)
    text: str = Field(max_length=200_000)


P = TypeVar("P", bound=_Params)

PARAMS: dict[str, type[_Params]] = {
    "ping": NoParams,
    "status": NoParams,
    "draft": DraftParams,
    "cancel": CancelParams,
    "sync": SyncParams,
    "retrain": RetrainParams,
    "pause": NoParams,
    "resume": NoParams,
    "feedback": FeedbackParams,
    "reload": NoParams,
    "stop": NoParams,
}


class Request(BaseModel):
    """A validated request; ``params`` is already its method's model (see PARAMS)."""

    model_config = ConfigDict(frozen=True)

    id: str
    method: str
    params: _Params

    def params_as(self, model: type[P]) -> P:
        """The params as the handler's model; a mismatch is a bug here, not the client's."""
        if not isinstance(self.params, model):
            raise ProtocolError(
                "internal", f"{self.method} got {type(self.params).__name__}", self.id
            )
        return self.params


def parse_request(line: bytes) -> Request:
    """Validate one request line; raise :class:`ProtocolError` saying what to fix."""
    if len(line) > MAX_LINE:
        raise ProtocolError("too_large", f"request is {len(line)} bytes; the limit is {MAX_LINE}")
    try:
        data = json.loads(line)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError("bad_request", f"not JSON: {exc}") from None
    except RecursionError:
        raise ProtocolError("bad_request", TOO_DEEP) from None
    if not isinstance(data, dict):
        raise ProtocolError("bad_request", "a request is a JSON object")
    raw_id = data.get("id")
    request_id = raw_id if isinstance(raw_id, str) and 0 < len(raw_id) <= 200 else None
    if request_id is None:
        raise ProtocolError("bad_request", "'id' must be a non-empty string (at most 200 chars)")
    where = _lone_surrogate(data)
    if where is not None:
        raise ProtocolError(
            "bad_request",
            f"{where} holds a lone UTF-16 surrogate (half of a character cut in two);"
            " send well-formed text",
            request_id,
        )
    if data.get("v") != VERSION:
        raise ProtocolError(
            "bad_request",
            f'protocol version {data.get("v")!r} unsupported; use "v": {VERSION}',
            request_id,
        )
    unknown = set(data) - {"v", "id", "method", "params"}
    if unknown:
        raise ProtocolError(
            "bad_request", f"unknown field(s): {', '.join(sorted(unknown))}", request_id
        )
    method = data.get("method")
    if not isinstance(method, str) or method not in PARAMS:
        hint = difflib.get_close_matches(str(method), PARAMS, n=1)
        suffix = f" (did you mean '{hint[0]}'?)" if hint else f"; one of {', '.join(PARAMS)}"
        raise ProtocolError("bad_request", f"unknown method {method!r}{suffix}", request_id)
    raw_params = data.get("params", {})
    if not isinstance(raw_params, dict):
        raise ProtocolError("bad_request", "'params' must be a JSON object", request_id)
    try:
        params = PARAMS[method].model_validate(raw_params)
    except ValidationError as exc:
        raise ProtocolError("bad_request", _describe(exc), request_id) from None
    return Request(id=request_id, method=method, params=params)


def _lone_surrogate(data: dict[str, Any]) -> str | None:
    """Where the first string holding a lone surrogate is (keys included), or None.

    ``json.loads`` lets ``"\\ud800"`` and surrogate bytes through; such text cannot be
    encoded as UTF-8, so neither a reply echoing it nor the model could use it.
    Iterative: the value may be nested nearly as deep as the recursion limit.
    """
    stack: list[tuple[str, Any]] = [("request", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return where
        elif isinstance(value, dict):
            for key, item in value.items():
                if _SURROGATE.search(key):
                    return f"a key in {where}"
                stack.append((f"{where}.{key}" if where != "request" else key, item))
        elif isinstance(value, list):
            stack.extend((f"{where}.{i}", item) for i, item in enumerate(value))
    return None


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "params"
        msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        parts.append(f"params.{where}: {msg}" if err["loc"] else msg.removeprefix("Value error, "))
    return "; ".join(parts)


def reply_ok(request_id: str, result: dict[str, Any]) -> dict[str, Any]:
    return {"id": request_id, "ok": True, "result": result}


def reply_error(request_id: str | None, code: ErrorCode, message: str) -> dict[str, Any]:
    return {"id": request_id, "ok": False, "error": {"code": code, "message": message}}


def event(request_id: str, name: str, **fields: Any) -> dict[str, Any]:
    return {"id": request_id, "event": name, **fields}


def encode(message: dict[str, Any]) -> bytes:
    """One message as a line of compact UTF-8 JSON; never fails on a lone surrogate.

    Such a string (an id the request was refused for) is sent as a ``\\udXXX``
    escape, which is still valid JSON, instead of failing the reply.
    """
    try:
        text = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:
        text = json.dumps(message, separators=(",", ":")).encode()
    return text + b"\n"
