"""The Gmail API over HTTP: one client, bounded retries with backoff, batched gets.

The client is built from the static discovery document with ``http=`` always
given, so google-api-python-client never fetches discovery or looks for default
credentials, and with an ``api_endpoint`` (Google's, or a test server's).
Retries are ours rather than ``execute(num_retries=)``: the same bound and the
same injectable sleep (:mod:`retry`) then cover single calls, whole
batches and single items of a batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import google_auth_httplib2  # type: ignore[import-untyped]
import httplib2  # type: ignore[import-untyped]
from googleapiclient.discovery import build
from googleapiclient.errors import BatchError, HttpError
from googleapiclient.http import BatchHttpRequest

from panza.daemon.errors import AuthError, SourceError
from panza.daemon.sources.gmail.history import HISTORY_TYPES, SentChanges, sent_changes
from panza.daemon.sources.gmail.transient import Failure
from panza.daemon.sources.retry import RetryPolicy

DEFAULT_ENDPOINT = "https://gmail.googleapis.com/"
# The discovery document's batchPath. new_batch_http_request() joins it to the
# document's rootUrl and so ignores api_endpoint (google-api-python-client #1107).
BATCH_PATH = "batch"
BATCH_LIMIT = 50  # Google: more than 50 calls in one batch is "not recommended"
PAGE_SIZE = 500  # the most messages.list and history.list return per page
HTTP_TIMEOUT = 60.0

# Socket-level trouble (refused, reset, timed out) and httplib2's own errors.
_TRANSPORT_ERRORS = (OSError, httplib2.HttpLib2Error)


class HistoryExpired(SourceError):
    """history.list answered 404: the start historyId is too old; a full sync is needed."""


@dataclass
class GmailClient:
    """The few Gmail calls a sync needs, each retried within :class:`RetryPolicy`."""

    service: Any
    http: Any
    batch_uri: str
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    account: str = ""

    def close(self) -> None:
        """Close the kept-alive connections (httplib2 leaves sockets open otherwise)."""
        self.http.close()

    def profile(self) -> dict[str, Any]:
        return self._call("reading the profile", self.service.users().getProfile, userId="me")

    def sent_ids(self, query: str | None = None) -> list[str]:
        """Ids of the messages labelled SENT (and matching ``query``), following every page."""
        ids: list[str] = []
        token: str | None = None
        while True:
            page = self._call(
                "listing sent mail",
                self.service.users().messages().list,
                userId="me",
                labelIds=["SENT"],
                q=query,
                maxResults=PAGE_SIZE,
                pageToken=token,
            )
            ids += [m["id"] for m in page.get("messages", []) if "id" in m]
            token = page.get("nextPageToken")
            if not token:
                return list(dict.fromkeys(ids))

    def sent_since(self, history_id: str) -> tuple[SentChanges, str]:
        """How the sent mail changed after ``history_id``, and the historyId to resume from.

        No ``labelId`` filter: a message whose SENT label was removed no longer carries
        it, so a filtered history could not report it. The first page's historyId is
        kept: records added while paging are seen again next time rather than missed.
        """
        records: list[dict[str, Any]] = []
        token: str | None = None
        latest: str | None = None
        while True:
            page = self._call(
                "reading the mailbox history",
                self.service.users().history().list,
                gone=HistoryExpired,
                userId="me",
                startHistoryId=history_id,
                historyTypes=list(HISTORY_TYPES),
                maxResults=PAGE_SIZE,
                pageToken=token,
            )
            latest = latest or str(page.get("historyId") or history_id)
            records += [r for r in page.get("history", []) if isinstance(r, dict)]
            token = page.get("nextPageToken")
            if not token:
                return sent_changes(records), latest

    def get_many(
        self, ids: Sequence[str], fmt: str, fields: str | None = None
    ) -> dict[str, dict[str, Any]]:
        """messages.get for up to :data:`BATCH_LIMIT` ids in one batch request.

        Items that fail with a retryable error are sent again alone (never the
        whole batch); messages deleted meanwhile (404) are left out of the result.
        """
        if len(ids) > BATCH_LIMIT:
            raise ValueError(f"at most {BATCH_LIMIT} ids per batch")
        done: dict[str, dict[str, Any]] = {}
        pending = list(dict.fromkeys(ids))
        for attempt in range(self.retry.attempts):
            failures = self._batch(pending, fmt, fields, done)
            for failure in failures.values():
                if failure.verdict in ("auth", "fail"):
                    raise self._error(failure, "fetching messages")
            retry = [i for i in pending if i in failures and failures[i].verdict == "retry"]
            if not retry:
                return done
            pending = retry
            if attempt + 1 < self.retry.attempts:
                after = max((failures[i].retry_after or 0.0) for i in retry)
                self.retry.sleep(self.retry.delay(attempt + 1, after))
        raise self._gave_up(failures[pending[0]], "fetching messages")

    def _batch(
        self, ids: list[str], fmt: str, fields: str | None, done: dict[str, dict[str, Any]]
    ) -> dict[str, Failure]:
        failures: dict[str, Failure] = {}

        def collect(request_id: str, response: Any, exc: HttpError | None) -> None:
            if exc is not None:
                failures[request_id] = Failure.from_exception(exc)
            else:
                done[request_id] = cast(dict[str, Any], response)

        batch = BatchHttpRequest(callback=collect, batch_uri=self.batch_uri)
        messages = self.service.users().messages()
        for message_id in ids:
            request = messages.get(userId="me", id=message_id, format=fmt, fields=fields)
            batch.add(request, request_id=message_id)
        try:
            batch.execute(http=self.http)
        except (HttpError, *_TRANSPORT_ERRORS) as exc:  # the batch as a whole failed
            whole = Failure.from_exception(exc)
            return {i: whole for i in ids if i not in done}
        except (BatchError, KeyError, ValueError):  # a garbled multipart answer
            garbled = Failure(0, "retry", "a malformed batch answer from the Gmail API")
            return {i: garbled for i in ids if i not in done}
        return failures

    def _call(
        self,
        what: str,
        method: Callable[..., Any],
        gone: type[SourceError] = SourceError,
        **params: Any,
    ) -> dict[str, Any]:
        failure = Failure(0, "retry", "not tried")
        for attempt in range(self.retry.attempts):
            try:
                return cast(dict[str, Any], method(**params).execute(num_retries=0))
            except (HttpError, *_TRANSPORT_ERRORS) as exc:
                failure = Failure.from_exception(exc)
            if failure.verdict != "retry":
                raise self._error(failure, what, gone)
            if attempt + 1 < self.retry.attempts:
                self.retry.sleep(self.retry.delay(attempt + 1, failure.retry_after))
        raise self._gave_up(failure, what)

    def _error(
        self, failure: Failure, what: str, gone: type[SourceError] = SourceError
    ) -> SourceError:
        if failure.verdict == "auth":
            return AuthError(
                f"Google refused the access token while {what} ({failure.message});"
                " re-authentication needed",
                self.account,
            )
        if failure.verdict == "gone":
            return gone(f"Gmail API error while {what}: {failure.message}", self.account)
        return SourceError(f"Gmail API error while {what}: {failure.message}", self.account)

    def _gave_up(self, failure: Failure, what: str) -> SourceError:
        return SourceError(
            f"Gmail API still failing while {what} after {self.retry.attempts} attempts"
            f" ({failure.message}); the next sync will try again",
            self.account,
        )


def build_client(
    credentials: Any,
    api_endpoint: str = "",
    retry: RetryPolicy | None = None,
    account: str = "",
    timeout: float = HTTP_TIMEOUT,
) -> GmailClient:
    """A Gmail v1 client on ``api_endpoint`` (default Google's) authorized by ``credentials``."""
    endpoint = (api_endpoint or DEFAULT_ENDPOINT).rstrip("/") + "/"
    http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=timeout))
    service = build(
        "gmail",
        "v1",
        http=http,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": endpoint},
    )
    return GmailClient(service, http, endpoint + BATCH_PATH, retry or RetryPolicy(), account)
