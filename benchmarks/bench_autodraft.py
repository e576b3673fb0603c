"""Autodraft figures against a real Dovecot 2.3 (TLS, loopback) with a small local model.

Run: .venv/bin/python benchmarks/bench_autodraft.py [--arrivals 5] [--polls 3] [--n 1000]
     [--ttft 10] [--model tiny|demo]
Writes benchmarks/out/autodraft.json. Needs Dovecot (apt-get install dovecot-imapd).

1. Arrival to draft in Drafts: a message APPENDed to the inbox until its reply is in Drafts,
   with the watcher in IDLE, and (baseline, same run) with IDLE hidden so it polls every
   minute (the shortest `schedule.sync_minutes`; the default 15 waits 15 times longer).
   The tests' tiny Llama by default (`--model demo` builds and uses `panza-demo`, about two
   minutes on an idle machine, far longer on a loaded one), with an adapter trained here on
   the sample persona; the model is loaded before timing.
2. Interactive time to first token with and without background drafts running (same run).
3. Per 1,000 incoming messages (10% personal mail to the user, the rest newsletters and
   list mail with larger bodies): IMAP commands and bytes the watcher fetches, against
   (baseline) fetching every message whole.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "autodraft.json"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="panza-bench-keyring")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from imapclient import IMAPClient  # noqa: E402

from panza.daemon import paths  # noqa: E402
from panza.daemon.autodraft.imap_watch import ImapWatcher  # noqa: E402
from panza.daemon.autodraft.part import Autodraft  # noqa: E402
from panza.daemon.cli import main as panza_main  # noqa: E402
from panza.daemon.config import load_config  # noqa: E402
from panza.daemon.demo.sample import PERSONA, generate  # noqa: E402
from panza.daemon.demo.sample.dovecot import (  # noqa: E402
    PASSWORD,
    CommandLog,
    Dovecot,
    append,
    dovecot_binary,
    make_self_signed,
    uids,
)
from panza.daemon.mail.clean import CleanRules  # noqa: E402
from panza.daemon.mail.qualify import Rules  # noqa: E402
from panza.daemon.pipeline.ingest import RawMail, ingest  # noqa: E402
from panza.daemon.protocol import DraftParams, Request  # noqa: E402
from panza.daemon.secrets import set_secret  # noqa: E402
from panza.daemon.server.drafting import Drafting  # noqa: E402
from panza.daemon.server.jobs import Jobs  # noqa: E402
from panza.daemon.server.operations import Service  # noqa: E402
from panza.daemon.server.writer import Writer  # noqa: E402
from panza.daemon.sources.imap.conn import ImapSettings, open_session  # noqa: E402
from panza.daemon.sources.imap.inbox import scan_inbox  # noqa: E402
from panza.daemon.store import Store  # noqa: E402
from panza.daemon.store.state import get_cursor  # noqa: E402

Figures = dict[str, dict[str, Any]]
ME = PERSONA.address


def fig(value: Any, unit: str, target: Any = None, baseline: Any = None) -> dict[str, Any]:
    return {"value": value, "unit": unit, "target": target, "baseline": baseline}


def incoming(i: int, personal: bool, now: datetime) -> bytes:
    if personal:
        head = f"From: Colleague {i} <c{i}@uni.example>\r\nTo: {ME}\r\n"
        body = "Could you send me the slides from Tuesday and say if Friday works?\r\n" * 6
    else:
        head = (
            f"From: news{i % 7}@letters.example\r\nTo: {ME}\r\nList-Unsubscribe: <mailto:x@l>\r\n"
        )
        body = ("<p>This week in science: " + "lorem ipsum dolor sit amet " * 40 + "</p>\r\n") * 8
    return (
        f"{head}Subject: Message {i}\r\nDate: {format_datetime(now)}\r\n"
        f"Message-ID: <in{i}.{random.random()}@uni.example>\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/{'plain' if personal else 'html'}; charset=utf-8\r\n\r\n{body}"
    ).encode()


def write_home(home: Path, server: Dovecot, user: str, ca: Path, base: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'[user]\nname = "{PERSONA.name}"\nemails = ["{PERSONA.address}", "{PERSONA.alias}"]\n\n'
        f'[model]\nbase = {json.dumps(base)}\nplayback = "subject"\n\n'
        "[training]\nepochs = 1\nbatch_size = 8\nmicro_batch_size = 8\nlearning_rate = 0.003\n"
        "max_length = 256\nrag_share = 0.0\n\n[schedule]\nsync_minutes = 1\n\n"
        f'[accounts.work]\nkind = "imap"\nhost = "127.0.0.1"\nport = {server.tls_port}\n'
        f'user = "{user}"\nca_file = "{ca}"\nautodraft = true\n\n'
        "[autodraft]\nmax_new_tokens = 64\nper_hour = 1000\n",
        encoding="utf-8",
    )


class Daemonish:
    """The daemon's parts for autodraft, in-process: service, writer, Drafting, its loop."""

    def __init__(self, home: Path) -> None:
        where = paths.resolve({"PANZA_HOME": str(home)})
        self.store = Store(where.db_file)
        self.service = Service(where, load_config(where.config_file), self.store)
        self.drafting = Drafting(self.service, Writer(self.service), Jobs())
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.part = Autodraft(self.service, self.drafting, self.loop)

    def interactive_ttft(self, n: int) -> list[float]:
        out = []
        for i in range(n):
            first: list[float] = []

            async def emit(event: dict[str, Any], first: list[float] = first) -> None:
                if event.get("event") == "token" and not first:
                    first.append(time.monotonic())

            params = DraftParams(instruction=f"Ask Tom about the budget ({i})", max_new_tokens=8)
            started = time.monotonic()
            request = Request(id=f"i{i}", method="draft", params=params)
            asyncio.run_coroutine_threadsafe(self.drafting.draft(request, emit), self.loop).result()
            out.append(first[0] - started)
        return out

    def close(self) -> None:
        self.part.stop()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.store.close()


def arrivals(
    d: Daemonish,
    server: Dovecot,
    count: int,
    connect: Callable[[ImapSettings], IMAPClient],
    spread_s: float,
) -> list[float]:
    """Seconds from APPEND to the reply being in Drafts, for ``count`` arrivals."""
    watcher = ImapWatcher(
        "work", d.store, lambda: d.service.config, d.part.draft_fn("work"), connect=connect
    )
    admin = server.client(d.service.config.accounts["work"].user)  # type: ignore[union-attr]
    watcher.start()
    try:
        while get_cursor(d.store.conn, "work", "autodraft:INBOX") is None:
            time.sleep(0.05)
        out = []
        rng = random.Random(3)
        for i in range(count):
            time.sleep(0.5 + rng.uniform(0, spread_s))  # arrivals at random points of a poll
            before = len(uids(admin, "Drafts"))
            admin.append("INBOX", incoming(i, True, datetime.now(UTC)))
            start = time.monotonic()
            while len(uids(admin, "Drafts")) == before:
                time.sleep(0.05)
            out.append(time.monotonic() - start)
        return out
    finally:
        watcher.stop()
        admin.logout()


def without_idle(settings: ImapSettings) -> IMAPClient:
    client = open_session(settings)
    has = client.has_capability
    client.has_capability = lambda cap: cap.upper() != "IDLE" and has(cap)  # type: ignore[method-assign]
    return client


def traffic(server: Dovecot, store: Store, user: str, n: int, rules: Rules) -> dict[str, float]:
    """Commands and bytes: the watcher's scan of ``n`` new messages vs fetching all whole."""
    seeder = server.client(user)
    now = datetime.now(UTC)
    append(seeder, [incoming(i, i % 10 == 0, now) for i in range(n)], folder="INBOX")
    seeder.logout()
    seeded = server.logout_stats(user, 1)["out"]
    log = CommandLog()
    assert server.tls is not None
    settings = ImapSettings(
        "127.0.0.1", server.tls_port, user, PASSWORD, ca_file=str(server.tls.cert)
    )
    client = log.attach(open_session(settings))
    result = scan_inbox(client, store, "t", rules, lambda: datetime.now(UTC) + timedelta(minutes=1))
    client.logout()
    scanned = server.logout_stats(user, 2)["out"]
    naive = server.client(user)
    naive.select_folder("INBOX", readonly=True)
    found = sorted(naive.search(["ALL"]))
    for start in range(0, len(found), 250):
        naive.fetch(found[start : start + 250], ["BODY.PEEK[]"])
    naive.logout()
    fetched_all = server.logout_stats(user, 3)["out"]
    return {
        "seen": result.seen,
        "qualifying": result.qualifying,
        "commands": len(log.commands) + 1,  # the login is one more
        "bytes": scanned - seeded,
        "naive_bytes": fetched_all - scanned,
        "naive_commands": 3 + (len(found) + 249) // 250,  # login, select, search, fetches
    }


def base_model(kind: str, work: Path, raws: list[bytes]) -> str:
    if kind == "demo":
        return "panza-demo"
    from panza.training.demo_model import TINY, build

    texts = [r.decode("utf-8", "replace") for r in raws]
    return str(build(work / "tiny-llama", TINY, texts=texts))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arrivals", type=int, default=5, help="arrivals timed with IDLE")
    parser.add_argument("--polls", type=int, default=3, help="arrivals timed while polling")
    parser.add_argument("--n", type=int, default=1000, help="incoming messages for traffic")
    parser.add_argument("--ttft", type=int, default=10, help="interactive drafts per setting")
    parser.add_argument(
        "--model",
        choices=["demo", "tiny"],
        default="tiny",
        help="panza-demo (built here, ~2 min on an idle machine) or the tests' tiny Llama",
    )
    return parser.parse_args()


def trained_home(work: Path, server: Dovecot, model: str) -> Path:
    """A home with the sample persona's sent mail and an adapter trained on it."""
    assert server.tls is not None
    set_secret("work", "password", PASSWORD)
    home = work / "home"
    raws = [m.raw for m in generate(120, seed=7)]
    write_home(home, server, "idle", server.tls.cert, base_model(model, work, raws))
    os.environ["PANZA_HOME"] = str(home)
    config = load_config(home / "config.toml")
    with Store(paths.resolve().db_file) as store:
        mails = [RawMail(r, f"s{i}") for i, r in enumerate(raws)]
        ingest(store, mails, CleanRules.from_config(config), "mbox", max_bytes=1 << 20)
    assert panza_main(["train"]) == 0
    return home


def with_background_drafts(d: Daemonish, n: int) -> list[float]:
    """Interactive time to first token while background drafts run back to back."""
    stop = threading.Event()

    def keep_busy() -> None:
        long = DraftParams(instruction="Write a long update", max_new_tokens=400)
        while not stop.is_set():
            asyncio.run_coroutine_threadsafe(
                d.drafting.background(long, lambda: not stop.is_set()), d.loop
            ).result()

    busy = threading.Thread(target=keep_busy, daemon=True)
    busy.start()
    time.sleep(1.0)
    try:
        return d.interactive_ttft(n)
    finally:
        stop.set()
        busy.join()


def measure(args: argparse.Namespace, work: Path, server: Dovecot) -> dict[str, Any]:
    home = trained_home(work, server, args.model)
    d = Daemonish(home)
    try:
        d.interactive_ttft(args.ttft)  # loads the model
        alone = d.interactive_ttft(args.ttft)
        idle = arrivals(d, server, args.arrivals, open_session, 0.0)
        busy = with_background_drafts(d, args.ttft)
        d.service.config.accounts["work"].user = "poll"  # type: ignore[union-attr]
        polled = arrivals(d, server, args.polls, without_idle, 60.0)
        rules = Rules.from_config(d.service.config)
    finally:
        d.close()
    with Store(work / "traffic.db") as tstore:
        t = traffic(server, tstore, "traffic", args.n, rules)
    return {"alone": alone, "busy": busy, "idle": idle, "polled": polled, "traffic": t}


def report(m: dict[str, Any], n: int, model: str) -> Figures:
    per, t = 1000 / n, m["traffic"]
    idle, polled, busy, alone = m["idle"], m["polled"], m["busy"], m["alone"]
    return {
        "arrival_to_draft_idle": fig(
            round(statistics.median(idle), 2),
            f"s (median of {len(idle)}; max {max(idle):.2f})",
            "< 60",
            f"{statistics.median(polled):.1f} s polling every minute",
        ),
        "arrival_to_draft_polling": fig(
            round(statistics.median(polled), 2),
            f"s (median of {len(polled)}, sync_minutes = 1; max {max(polled):.1f})",
        ),
        "interactive_ttft_with_background": fig(
            round(statistics.median(busy) * 1000, 1),
            f"ms median of {len(busy)} (max {max(busy) * 1000:.0f})",
            "no measurable change",
            f"{statistics.median(alone) * 1000:.1f} ms without background drafts",
        ),
        "watcher_round_trips_per_1000": fig(
            round(t["commands"] * per, 1),
            "IMAP commands per 1,000 incoming",
            None,
            f"{t['naive_commands'] * per:.0f} fetching every message whole in batches of 250",
        ),
        "watcher_bytes_per_1000": fig(
            round(t["bytes"] * per / 1024),
            f"KiB per 1,000 incoming ({t['qualifying']} of {t['seen']} qualified and were"
            " fetched whole)",
            None,
            f"{t['naive_bytes'] * per / 1024:.0f} KiB fetching every message whole",
        ),
        "model": fig(model, "base model (panza-demo, or the tests' tiny Llama)"),
    }


def main() -> None:
    args = parse_args()
    # Killed by run_all's timeout: still stop the Dovecot it started (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    binary = dovecot_binary()
    if binary is None:
        raise SystemExit("Dovecot is not installed: apt-get install dovecot-imapd")
    work = Path(tempfile.mkdtemp(prefix="panza-bench-autodraft"))
    server = Dovecot(binary, make_self_signed(work / "tls")).start()
    try:
        measured = measure(args, work, server)
    finally:
        server.cleanup()
    figures = report(measured, args.n, args.model)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
