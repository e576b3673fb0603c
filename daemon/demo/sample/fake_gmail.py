"""The Gmail API endpoints Panza uses, served from an in-memory mailbox.

profile, messages.list (paged), messages.get (minimal/raw, ``fields``),
history.list (paged, 404 when the start is too old; added messages, deletions and
label changes, filtered by historyTypes and labelId) and the multipart/mixed
batch endpoint. Every call is logged (batched ones too) and faults can be
injected per call kind, per message id, or as a storm that never ends.
"""

from __future__ import annotations

import base64
import email.message
import email.parser
import email.policy
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from panza.daemon.demo.sample.fake_http import Reply, Request, google_error, json_reply

Fault = tuple[int, str]  # (HTTP status, Google error reason)
RATE_LIMITED: Fault = (429, "rateLimitExceeded")
USER_RATE_LIMITED: Fault = (403, "userRateLimitExceeded")
FORBIDDEN: Fault = (403, "insufficientPermissions")
BAD_REQUEST: Fault = (400, "invalidArgument")
SERVER_ERROR: Fault = (500, "backendError")
BASE_DATE_MS = 1_704_672_000_000  # 2024-01-08 00:00 UTC


@dataclass
class Message:
    id: str
    raw: bytes
    labels: tuple[str, ...]
    internal_date: int
    history_id: int
    size: int  # sizeEstimate


@dataclass(frozen=True)
class Call:
    """One API call as the server saw it; batched gets are logged one by one."""

    kind: str  # profile | list | history | get | batch
    params: dict[str, str]
    ids: tuple[str, ...] = ()
    fmt: str = ""
    in_batch: bool = False


@dataclass
class FakeGmail:
    tokens: set[str]
    address: str = "ada@whitfield.example"
    page_cap: int = 500
    messages: dict[str, Message] = field(default_factory=dict)
    history_id: int = 5000
    history_floor: int = 0
    # Deletions and label changes as history records: (historyId, record key, item).
    changes: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    http_requests: int = 0
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    storms: dict[str, Fault] = field(default_factory=dict)
    item_faults: dict[tuple[str, str], list[Fault]] = field(default_factory=dict)  # (id, format)
    on_call: Callable[[Call], None] | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)

    # -- the mailbox -------------------------------------------------------
    def add(self, raw: bytes, labels: tuple[str, ...] = ("SENT",), size: int | None = None) -> str:
        with self.lock:
            self.history_id += 7  # history ids grow but are not contiguous
            message_id = f"18c{len(self.messages) + 1:013x}"
            when = BASE_DATE_MS + 3_600_000 * len(self.messages)
            self.messages[message_id] = Message(
                message_id, raw, labels, when, self.history_id, size or len(raw)
            )
            return message_id

    def delete(self, message_id: str) -> None:
        """The user deletes the message for good (not to Trash): ``messagesDeleted``."""
        with self.lock:
            message = self.messages.pop(message_id)
            self._change("messagesDeleted", {"message": _ref(message)})

    def relabel(self, message_id: str, *, add: str = "", remove: str = "") -> None:
        """Add or remove one label: ``labelsAdded`` / ``labelsRemoved``."""
        with self.lock:
            message = self.messages[message_id]
            label = add or remove
            labels = [*message.labels, add] if add else [x for x in message.labels if x != remove]
            message.labels = tuple(labels)
            item = {"message": {**_ref(message), "labelIds": labels}, "labelIds": [label]}
            self._change("labelsAdded" if add else "labelsRemoved", item)

    def _change(self, key: str, item: dict[str, Any]) -> None:
        self.history_id += 7
        self.changes.append((self.history_id, key, item))

    def expire_history(self) -> None:
        """Forget all history so far: any older start historyId now gets 404."""
        self.history_floor = self.history_id

    def sent(self) -> list[str]:
        return [m.id for m in self.messages.values() if "SENT" in m.labels]

    def fetched(self, fmt: str) -> list[str]:
        """Ids fetched with ``fmt``, once per time the server was asked."""
        return [i for c in self.calls if c.kind == "get" and c.fmt == fmt for i in c.ids]

    def count(self, kind: str) -> int:
        return sum(c.kind == kind for c in self.calls)

    # -- HTTP --------------------------------------------------------------
    def handle(self, request: Request) -> Reply:
        """Entry point for every outer HTTP request."""
        with self.lock:
            self.http_requests += 1
        if request.path.rstrip("/") == "/batch":
            return self._batch(request)
        return self._call(request, in_batch=False)

    def _call(self, request: Request, in_batch: bool) -> Reply:
        base = "/gmail/v1/users/me/"
        if not request.path.startswith(base):
            return google_error(404, "notFound", "unknown path")
        rest = request.path[len(base) :]
        params = {k: ",".join(v) for k, v in request.query.items()}
        if rest == "profile":
            call = Call("profile", params)
        elif rest == "messages":
            call = Call("list", params)
        elif rest == "history":
            call = Call("history", params)
        elif rest.startswith("messages/"):
            call = Call("get", params, (rest[9:],), params.get("format", "full"), in_batch)
        else:
            return google_error(404, "notFound", "unknown method")
        with self.lock:
            self.calls.append(call)
        if self.on_call is not None:
            self.on_call(call)
        if request.bearer not in self.tokens:
            return google_error(401, "authError", "Invalid Credentials")
        fault = self._fault(call)
        if fault is not None:
            return _fault_reply(fault)
        handlers: dict[str, Callable[[Request, Call], Reply]] = {
            "profile": self._profile,
            "list": self._list,
            "history": self._history,
            "get": self._get,
        }
        with self.lock:
            return handlers[call.kind](request, call)

    def _fault(self, call: Call) -> Fault | None:
        with self.lock:
            if call.kind in self.storms:
                return self.storms[call.kind]
            queue = self.item_faults.get((call.ids[0], call.fmt)) if call.kind == "get" else None
            if not queue:
                queue = self.faults.get(call.kind)
            return queue.pop(0) if queue else None

    def _profile(self, request: Request, call: Call) -> Reply:
        return json_reply(
            {
                "emailAddress": self.address,
                "messagesTotal": len(self.messages),
                "threadsTotal": len(self.messages),
                "historyId": str(self.history_id),
            }
        )

    def _list(self, request: Request, call: Call) -> Reply:
        wanted = set(request.query.get("labelIds", []))
        query = request.arg("q")
        larger = int(query.removeprefix("larger:")) if query.startswith("larger:") else -1
        if query and larger < 0:
            return google_error(400, "invalidArgument", "the fake knows only larger:N")
        newest_first = [
            m
            for m in reversed(self.messages.values())
            if wanted <= set(m.labels) and m.size > larger
        ]
        return json_reply(self._page(request, newest_first, "messages", _ref))

    def _history(self, request: Request, call: Call) -> Reply:
        start = int(request.arg("startHistoryId", "0"))
        if start < self.history_floor:
            return google_error(404, "notFound", "Requested entity was not found.")
        label = request.arg("labelId")
        types = set(request.query.get("historyTypes", [])) or set(_HISTORY_KEYS.values())
        records = [
            (m.history_id, _history_record(m))
            for m in self.messages.values()
            if "messageAdded" in types and m.history_id > start and (not label or label in m.labels)
        ]
        for history_id, key, item in self.changes:
            # labelId filters on the labels a message has now; a deleted one has none.
            now = self.messages.get(item["message"]["id"])
            wanted = history_id > start and _HISTORY_KEYS[key] in types
            if wanted and (not label or (now is not None and label in now.labels)):
                ref = {"id": item["message"]["id"], "threadId": item["message"]["id"]}
                records.append(
                    (history_id, {"id": str(history_id), "messages": [ref], key: [item]})
                )
        records.sort(key=lambda pair: pair[0])
        page = self._page(request, [r for _, r in records], "history", lambda r: r)
        return json_reply({**page, "historyId": str(self.history_id)})

    def _page(
        self, request: Request, items: list[Any], key: str, render: Callable[[Any], Any]
    ) -> dict[str, Any]:
        size = min(int(request.arg("maxResults", "100")), self.page_cap)
        offset = int(request.arg("pageToken", "0") or 0)
        page = items[offset : offset + size]
        body: dict[str, Any] = {key: [render(m) for m in page]} if page else {}
        if offset + size < len(items):
            body["nextPageToken"] = str(offset + size)
        if key == "messages":
            body["resultSizeEstimate"] = len(items)
        return body

    def _get(self, request: Request, call: Call) -> Reply:
        message = self.messages.get(call.ids[0])
        if message is None:
            return google_error(404, "notFound", "Requested entity was not found.")
        body: dict[str, Any] = {
            **_ref(message),
            "labelIds": list(message.labels),
            "snippet": "",
            "sizeEstimate": message.size,
            "historyId": str(message.history_id),
            "internalDate": str(message.internal_date),
        }
        if call.fmt == "raw":
            # Gmail's base64url; left unpadded, which clients must accept.
            body["raw"] = base64.urlsafe_b64encode(message.raw).decode().rstrip("=")
        fields = request.arg("fields")
        if fields:
            body = {k: v for k, v in body.items() if k in fields.split(",")}
        return json_reply(body)

    # -- batch -------------------------------------------------------------
    def _batch(self, request: Request) -> Reply:
        inner = _split_batch(request)
        ids = tuple(c.path.rsplit("/", 1)[-1] for _, c in inner)
        fmt = inner[0][1].arg("format") if inner else ""
        call = Call("batch", {}, ids, fmt)
        with self.lock:
            self.calls.append(call)
        if self.on_call is not None:
            self.on_call(call)
        fault = self._fault(call)
        if fault is not None:
            return _fault_reply(fault)
        boundary = f"batch_{uuid.uuid4().hex}"
        parts = []
        for content_id, sub in inner:
            reply = self._call(sub, in_batch=True)
            status_line = f"HTTP/1.1 {reply.status} {'OK' if reply.status < 300 else 'Error'}"
            head = "".join(f"{k}: {v}\r\n" for k, v in reply.headers.items())
            parts.append(
                f"--{boundary}\r\nContent-Type: application/http\r\n"
                f"Content-ID: <response-{content_id[1:-1]}>\r\n\r\n"
                f"{status_line}\r\n{head}\r\n{reply.body.decode()}\r\n"
            )
        body = "".join(parts) + f"--{boundary}--\r\n"
        return Reply(200, body.encode(), {"Content-Type": f"multipart/mixed; boundary={boundary}"})


def _fault_reply(fault: Fault) -> Reply:
    status, reason = fault
    reply = google_error(status, reason, f"injected {reason}")
    if status == 429:  # Google may say when to come back
        return Reply(reply.status, reply.body, {**reply.headers, "Retry-After": "0"})
    return reply


def _ref(message: Message) -> dict[str, str]:
    return {"id": message.id, "threadId": message.id}


_HISTORY_KEYS = {  # history record key -> the historyTypes value that asks for it
    "messagesAdded": "messageAdded",
    "messagesDeleted": "messageDeleted",
    "labelsAdded": "labelAdded",
    "labelsRemoved": "labelRemoved",
}


def _history_record(message: Message) -> dict[str, Any]:
    ref = {**_ref(message), "labelIds": list(message.labels)}
    return {
        "id": str(message.history_id),
        "messages": [_ref(message)],
        "messagesAdded": [{"message": ref}],
    }


def _split_batch(request: Request) -> list[tuple[str, Request]]:
    """The inner requests of a multipart/mixed batch, with their Content-IDs."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    outer = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(head + request.body)
    out = []
    for part in outer.get_payload():
        assert isinstance(part, email.message.Message)
        text = part.get_payload()
        assert isinstance(text, str)
        request_line, _, rest = text.partition("\n")
        header_text, _, body = rest.partition("\n\n")
        headers = dict(line.split(": ", 1) for line in header_text.splitlines() if ": " in line)
        method, target, _ = request_line.split(" ", 2)
        out.append((part["Content-ID"], Request.parse(method, target, headers, body.encode())))
    return out
