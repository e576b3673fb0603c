"""Gmail API full sync against the local fake Gmail server: throughput and HTTP requests.

Run: .venv/bin/python benchmarks/bench_gmail.py [--n 5000] [--baseline-n 5000] [--rtt-ms 20]
Prints {name: {"value", "unit", "target", "baseline"}} as JSON and writes benchmarks/out/sent.json.
The baseline is the unbatched client: one messages.get(format=raw) HTTP request per message,
through the same listing, cleaning and store, measured in the same run. The server runs in its
own process and counts requests; quota units use Google's published costs (get/list 5,
getProfile 1, per call even inside a batch). Loopback has no round trip, so one pair of runs
(--rtt-n messages) adds --rtt-ms to every HTTP answer, as a network would.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from google.oauth2.credentials import Credentials

from panza.daemon.config import Config, GmailAccount, UserConfig
from panza.daemon.demo.sample import PERSONA, generate
from panza.daemon.demo.sample.fake_gmail import FakeGmail
from panza.daemon.demo.sample.fake_http import LocalServer
from panza.daemon.demo.sample.fake_oauth import CLIENT_ID, CLIENT_SECRET, SCOPE, FakeOAuth
from panza.daemon.mail.clean import CleanRules
from panza.daemon.pipeline.ingest import Cursor, RawMail, ingest_batch
from panza.daemon.pipeline.sync import SyncContext
from panza.daemon.sources.gmail import auth, sent
from panza.daemon.sources.gmail.api import build_client
from panza.daemon.store import InsertResult, Store

OUT = Path(__file__).resolve().parent / "out" / "sent.json"
UNITS = {"get": 5, "list": 5, "history": 2, "profile": 1}
TOKEN = "ya29.bench"


def fig(value: Any, unit: str, target: Any = None, baseline: Any = None) -> dict[str, Any]:
    return {"value": value, "unit": unit, "target": target, "baseline": baseline}


def serve(n: int, rtt: float, conn: Connection) -> None:
    """Child process: a fake Gmail with ``n`` sent messages, answering after ``rtt`` seconds."""
    api = FakeGmail({TOKEN}, address=PERSONA.address)
    for message in generate(n, seed=5):
        api.add(message.raw)
    routes = [("/gmail/", api.handle), ("/batch", api.handle)]
    with LocalServer([*routes, ("/token", FakeOAuth(api.tokens).handle)]) as local:
        local.delay = rtt
        conn.send(local.url)
        conn.recv()  # the sync is done
        units = sum(UNITS.get(c.kind, 0) for c in api.calls)
        conn.send({"requests": api.http_requests, "units": units})


def context(store: Store, url: str) -> SyncContext:
    config = Config(user=UserConfig(name=PERSONA.name, emails=[PERSONA.address, PERSONA.alias]))
    account = GmailAccount(kind="gmail", api_endpoint=url)
    rules = CleanRules.from_config(config)
    return SyncContext(store, "bench", account, rules, config.cleaning.max_message_bytes, 0.1)


def credentials(url: str) -> Credentials:
    return Credentials(  # type: ignore[no-untyped-call]
        token=TOKEN,
        refresh_token="1//bench",
        token_uri=url + "token",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        scopes=[SCOPE],
        expiry=datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=1),
    )


def unbatched_sync(ctx: SyncContext, url: str) -> InsertResult:
    """The naive client: list, then one HTTP request per message, stored 50 at a time."""
    client = build_client(credentials(url), url)
    history = str(client.profile()["historyId"])
    ids = client.sent_ids()
    messages = client.service.users().messages()
    total = InsertResult()
    for start in range(0, len(ids), 50):
        mails = []
        for message_id in ids[start : start + 50]:
            message = messages.get(userId="me", id=message_id, format="raw").execute()
            raw = sent.decode_raw(message["raw"]) or b""
            mails.append(RawMail(raw, message_id, "SENT", sent.internal_date(message)))
        last = start + 50 >= len(ids)
        cursor = Cursor("SENT", {"history_id": history}) if last else None
        total.add(
            ingest_batch(
                ctx.store, mails, ctx.rules, ctx.name, max_bytes=ctx.max_bytes, cursor=cursor
            )
        )
    client.close()
    return total


def measure(n: int, batched: bool, tmp: Path, rtt: float = 0.0) -> dict[str, float]:
    """One full sync of ``n`` messages; the server runs in its own process, as Google would."""
    ours, theirs = multiprocessing.Pipe()
    child = multiprocessing.get_context("fork").Process(target=serve, args=(n, rtt, theirs))
    child.start()
    url = ours.recv()
    with Store(tmp / f"{'batched' if batched else 'plain'}-{n}-{rtt}.db") as store:
        ctx = context(store, url)
        auth.save_credentials("bench", credentials(url))
        start = time.perf_counter()
        result = sent.sync_account(ctx) if batched else unbatched_sync(ctx, url)
        seconds = time.perf_counter() - start
    ours.send("done")
    stats = ours.recv()
    child.join()
    assert result.new == n, f"stored {result.new} of {n}"
    return {
        "msgs_per_s": n / seconds,
        "requests_per_1000": 1000 * stats["requests"] / n,
        "units_per_message": stats["units"] / n,
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--baseline-n", type=int, default=5000)
    parser.add_argument("--rtt-ms", type=float, default=20.0, help="simulated round trip")
    parser.add_argument("--rtt-n", type=int, default=1000, help="messages synced at that RTT")
    args = parser.parse_args()
    rtt = args.rtt_ms / 1000
    with tempfile.TemporaryDirectory() as tmp:
        # A throwaway file keyring, chosen explicitly as a user would on a headless box.
        os.environ["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"
        os.environ["XDG_DATA_HOME"] = tmp
        batched = measure(args.n, True, Path(tmp))
        plain = measure(args.baseline_n, False, Path(tmp))
        far = measure(args.rtt_n, True, Path(tmp), rtt)
        far_plain = measure(args.rtt_n, False, Path(tmp), rtt)
    figures = {
        "gmail_full_sync_msgs_per_s": fig(
            round(batched["msgs_per_s"]),
            "messages/s (loopback)",
            ">= 50 (Gmail's per-user quota allows about 50/s at 5 units a message)",
            round(plain["msgs_per_s"]),
        ),
        f"gmail_full_sync_msgs_per_s_rtt{args.rtt_ms:g}ms": fig(
            round(far["msgs_per_s"]),
            f"messages/s with {args.rtt_ms:g} ms added to every HTTP answer",
            ">= 50",
            round(far_plain["msgs_per_s"]),
        ),
        "gmail_http_requests_per_1000_msgs": fig(
            round(batched["requests_per_1000"], 1),
            "HTTP requests per 1,000 messages",
            "<= 50 (far fewer than one per message)",
            round(plain["requests_per_1000"], 1),
        ),
        "gmail_quota_units_per_msg": fig(
            round(batched["units_per_message"], 2),
            "Gmail quota units per message",
            "<= 5.5 (a get costs 5)",
            round(plain["units_per_message"], 2),
        ),
        "gmail_full_sync_seconds": fig(
            round(batched["seconds"], 1),
            f"s for {args.n} messages (loopback)",
            None,
            round(plain["seconds"] * args.n / args.baseline_n, 1),
        ),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
