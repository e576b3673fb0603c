"""The fake Gmail API plus what autodraft uses: drafts (create, list by rfc822msgid:, get),
``format=metadata`` headers, and ``newer_than:`` inbox listings.

Kept apart from :mod:`panza.daemon.demo.sample.fake_gmail` (a subclass) so changes to the two do not
collide; every call still goes through the base class's log, token check and faults.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
from dataclasses import dataclass, field, replace
from email.parser import BytesHeaderParser
from typing import Any

from panza.daemon.demo.sample.fake_gmail import Call, FakeGmail
from panza.daemon.demo.sample.fake_http import Reply, Request, google_error, json_reply

BASE = "/gmail/v1/users/me/"
_ids = itertools.count(1)


@dataclass
class Draft:
    id: str
    message_id: str  # Gmail's id of the draft's message: a new one on every edit
    raw: bytes
    thread_id: str | None


@dataclass
class FakeGmailDrafts(FakeGmail):
    drafts: dict[str, Draft] = field(default_factory=dict)

    def edit(self, draft_id: str, raw: bytes) -> None:
        """What Gmail does when the user changes a draft: same draft, a new message."""
        self.drafts[draft_id] = replace(self.drafts[draft_id], raw=raw, message_id=_new("m"))

    def _call(self, request: Request, in_batch: bool) -> Reply:
        rest = request.path[len(BASE) :] if request.path.startswith(BASE) else ""
        if rest.startswith("drafts"):
            return self._drafts(request, rest)
        if rest == "messages" and request.arg("q").startswith("newer_than:"):
            # Every message here is recent enough; the base class knows only larger:N.
            request = replace(request, query={k: v for k, v in request.query.items() if k != "q"})
        reply = super()._call(request, in_batch)
        if (
            rest.startswith("messages/")
            and request.arg("format") == "metadata"
            and reply.status == 200
        ):
            return self._with_headers(reply)
        return reply

    def _with_headers(self, reply: Reply) -> Reply:
        body = json.loads(reply.body)
        message = self.messages[body["id"]]
        parsed = BytesHeaderParser().parsebytes(message.raw)
        body["payload"] = {"headers": [{"name": k, "value": str(v)} for k, v in parsed.items()]}
        return json_reply(body)

    def _drafts(self, request: Request, rest: str) -> Reply:
        with self.lock:
            self.calls.append(
                Call(f"drafts.{request.method}", {k: ",".join(v) for k, v in request.query.items()})
            )
        if request.bearer not in self.tokens:
            return google_error(401, "authError", "Invalid Credentials")
        with self.lock:
            if rest == "drafts" and request.method == "POST":
                message = json.loads(request.body)["message"]
                raw = base64.urlsafe_b64decode(message["raw"] + "=" * (-len(message["raw"]) % 4))
                draft = Draft(_new("r"), _new("m"), raw, message.get("threadId"))
                self.drafts[draft.id] = draft
                return json_reply(_render(draft))
            if rest == "drafts":
                wanted = request.arg("q").removeprefix("rfc822msgid:")
                found = [d for d in self.drafts.values() if _message_id(d.raw) == wanted]
                return json_reply({"drafts": [_render(d) for d in found]} if found else {})
            draft = self.drafts.get(rest.removeprefix("drafts/"))
            if draft is None:
                return google_error(404, "notFound", "Requested entity was not found.")
            return json_reply(_render(draft))


def _new(prefix: str) -> str:
    return f"{prefix}{next(_ids):012x}"


def _render(draft: Draft) -> dict[str, Any]:
    return {"id": draft.id, "message": {"id": draft.message_id, "threadId": draft.thread_id}}


def _message_id(raw: bytes) -> str:
    found = re.search(rb"^Message-ID:\s*(\S+)", raw, re.IGNORECASE | re.MULTILINE)
    return found.group(1).decode() if found else ""
