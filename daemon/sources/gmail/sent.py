"""Sync a Gmail account's sent mail through the Gmail API.

Full sync: ``users.getProfile`` first (its historyId is where the next
incremental sync starts, so mail sent while listing is not missed), then every
SENT id, then only the ids not stored yet. Incremental sync: ``history.list``
from the stored historyId; a 404 (history too old) falls back to a full sync,
which skips what is stored.

Messages are fetched with batched ``messages.get(format=raw)``. Those whose size
is not known to be small (the few a ``larger:`` search finds in a full sync,
every one in an incremental sync) first get a batched ``format=minimal`` query:
oversized ones are recorded as too large without being downloaded, and raw
batches are cut so their answer stays bounded. Each batch is committed on its
own and the new historyId with the last one, so a killed sync loses nothing and
the next run fetches only what is missing.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from google.auth.exceptions import RefreshError, TransportError
from google.oauth2.credentials import Credentials

from panza.daemon.config import GmailAccount
from panza.daemon.errors import SecretsError, SourceError
from panza.daemon.pipeline.ingest import Cursor, RawMail, ingest_batch
from panza.daemon.sources.contract import SyncContext
from panza.daemon.sources.gmail import auth
from panza.daemon.sources.gmail.api import BATCH_LIMIT, GmailClient, HistoryExpired, build_client
from panza.daemon.sources.retry import RetryPolicy
from panza.daemon.store import EmailRecord, InsertResult, insert_emails
from panza.daemon.store.emails import known_ids
from panza.daemon.store.state import get_cursor

log = logging.getLogger(__name__)

FOLDER = "SENT"
# Raw messages arrive base64-encoded inside one batch answer; keep that answer bounded.
RAW_BATCH_BYTES = 16 << 20
# Below this size (by Gmail's search) 50 messages make a modest batch answer; larger ones
# are fetched in batches bounded by their sizeEstimate.
SMALL_BYTES = 256 << 10
_META_FIELDS = "id,sizeEstimate,internalDate"


def sync_account(ctx: SyncContext, *, retry: RetryPolicy | None = None) -> InsertResult:
    """One sync of a Gmail account; raises ``AuthError`` when it must sign in again."""
    account = ctx.account
    if not isinstance(account, GmailAccount):
        raise SourceError(f"{ctx.name} is not a Gmail account", ctx.name)
    creds = auth.load_credentials(ctx.name)
    token = creds.token
    try:
        auth.refresh_if_expired(creds, ctx.name)
        client = build_client(creds, account.api_endpoint, retry, ctx.name)
        try:
            return _sync(ctx, client)
        finally:
            client.close()
    except (RefreshError, TransportError) as exc:  # a refresh in the middle of the sync
        raise auth.refresh_failure(exc, ctx.name) from None
    finally:
        if creds.token != token and creds.valid:
            _keep_refreshed(ctx.name, creds)


def _keep_refreshed(name: str, creds: Credentials) -> None:
    try:
        auth.save_credentials(name, creds)
    except SecretsError as exc:  # the old refresh token still works; next sync refreshes again
        log.warning("could not store the refreshed token of %s: %s", name, exc)


def _sync(ctx: SyncContext, client: GmailClient) -> InsertResult:
    cursor = get_cursor(ctx.store.conn, ctx.name, FOLDER) or {}
    start = cursor.get("history_id")
    ids: list[str] | None = None
    gone: set[str] = set()
    large: set[str] | None = None  # None: sizes unknown, ask for each message's size first
    if start:
        try:
            changes, latest = client.sent_since(str(start))
            ids, gone = list(changes.added), set(changes.removed)
        except HistoryExpired:
            log.info("history of %s is too old; running a full sync", ctx.name)
    known = known_ids(ctx.store.conn, ctx.name)
    if ids is None:
        latest = str(client.profile()["historyId"])
        ids = client.sent_ids()
        gone = known - set(ids)  # deleted or unmarked as sent while history was out of reach
        # One search finds the few large messages, so the many small ones need no size query.
        large = set(client.sent_ids(f"larger:{min(SMALL_BYTES, ctx.max_bytes)}"))
    todo = [i for i in ids if i not in known]
    gone &= known
    log.info("%s: %d sent listed, %d to fetch, %d gone", ctx.name, len(ids), len(todo), len(gone))
    end = Cursor(FOLDER, {"history_id": latest})
    return _fetch_and_store(ctx, client, todo, large, end, gone)


@dataclass
class _Unit:
    """Messages fetched together and committed in one transaction."""

    mails: list[RawMail] = field(default_factory=list)
    discarded: list[EmailRecord] = field(default_factory=list)
    count: int = 0  # ids settled by this unit, for progress
    last: bool = False  # the historyId is committed with the last unit


def _fetch_and_store(
    ctx: SyncContext,
    client: GmailClient,
    todo: list[str],
    large: set[str] | None,
    cursor: Cursor,
    gone: set[str],
) -> InsertResult:
    """Store ``todo`` unit by unit; the mail ``gone`` leaves with the last unit and cursor."""
    total = InsertResult()
    done = 0
    if ctx.progress:
        ctx.progress(0, len(todo))
    for unit in _units(ctx, client, todo, large):
        total.add(_store(ctx, unit, cursor, gone) if unit.last else _store(ctx, unit))
        done += unit.count
        if ctx.progress:
            ctx.progress(done, len(todo))
    if not todo:
        total.add(_store(ctx, _Unit(), cursor, gone))
    return total


def _units(
    ctx: SyncContext, client: GmailClient, todo: list[str], large: set[str] | None
) -> Iterator[_Unit]:
    """Fetch ``todo`` batch by batch; ids not known to be small get a size query first."""
    small = [] if large is None else [i for i in todo if i not in large]
    unsized = todo if large is None else [i for i in todo if i in large]
    batches = [(c, True) for c in _chunks(small)] + [(c, False) for c in _chunks(unsized)]
    for n, (chunk, is_small) in enumerate(batches):
        first = _Unit()
        groups = [chunk]
        if not is_small:
            meta = client.get_many(chunk, "minimal", _META_FIELDS)
            first.count = len(chunk) - len(meta)  # those missing were deleted meanwhile
            fits: list[str] = []
            for message_id in chunk:
                info = meta.get(message_id)
                if info is not None and _int(info.get("sizeEstimate")) > ctx.max_bytes:
                    first.discarded.append(_discarded(ctx, message_id, info, "too_large"))
                    first.count += 1
                elif info is not None:
                    fits.append(message_id)
            groups = list(_by_size(fits, meta)) or [[]]
        for g, group in enumerate(groups):
            unit = first if g == 0 else _Unit()
            unit.count += len(group)
            unit.last = n == len(batches) - 1 and g == len(groups) - 1
            raws = client.get_many(group, "raw") if group else {}
            for message_id in group:
                message = raws.get(message_id)
                if message is None:  # deleted since it was listed
                    continue
                raw = decode_raw(message.get("raw"))
                if raw is None:
                    unit.discarded.append(_discarded(ctx, message_id, message, "unreadable"))
                else:
                    unit.mails.append(RawMail(raw, message_id, FOLDER, internal_date(message)))
            yield unit


def _chunks(ids: list[str]) -> list[list[str]]:
    return [ids[i : i + BATCH_LIMIT] for i in range(0, len(ids), BATCH_LIMIT)]


def _by_size(ids: list[str], meta: dict[str, dict[str, Any]]) -> Iterator[list[str]]:
    group: list[str] = []
    size = 0
    for message_id in ids:
        estimate = _int(meta[message_id].get("sizeEstimate"))
        if group and size + estimate > RAW_BATCH_BYTES:
            yield group
            group, size = [], 0
        group.append(message_id)
        size += estimate
    if group:
        yield group


def _store(
    ctx: SyncContext, unit: _Unit, cursor: Cursor | None = None, gone: set[str] | None = None
) -> InsertResult:
    result = InsertResult()
    if unit.discarded:  # recorded without their bytes: ingest_batch takes raw mail only
        with ctx.store.write() as conn:
            result.add(insert_emails(conn, unit.discarded, ctx.test_fraction))
    if unit.mails or cursor is not None:
        result.add(
            ingest_batch(
                ctx.store,
                unit.mails,
                ctx.rules,
                ctx.name,
                max_bytes=ctx.max_bytes,
                test_fraction=ctx.test_fraction,
                cursor=cursor,
                gone=gone or (),
            )
        )
    return result


def _discarded(ctx: SyncContext, message_id: str, info: dict[str, Any], reason: str) -> EmailRecord:
    log.info("%s: message %s recorded as %s", ctx.name, message_id, reason)
    return EmailRecord.discarded(ctx.name, FOLDER, message_id, internal_date(info), reason)


def decode_raw(value: Any) -> bytes | None:
    """The bytes of a ``format=raw`` message (base64url, padding optional); None if undecodable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def internal_date(info: dict[str, Any]) -> datetime | None:
    """Gmail's internalDate (ms since the epoch, as a string) as an aware datetime."""
    millis = _int(info.get("internalDate"), -1)
    if millis < 0:
        return None
    try:
        return datetime.fromtimestamp(millis / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
