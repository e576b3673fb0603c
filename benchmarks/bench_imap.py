"""IMAP sync figures against a real Dovecot 2.3 on loopback (started here, unprivileged).

Run: .venv/bin/python benchmarks/bench_imap.py [--n 5000] [--runs 5]
Prints {name: {"value", "unit", "target", "baseline"}} as JSON and writes benchmarks/out/sent.json.
Needs Dovecot (apt-get install dovecot-imapd; `make sysdeps` does it as root).

Round trips are counted as tagged IMAP commands the session sends (the login adds one).
Baselines: the same messages cleaned and stored straight from memory (no IMAP at all),
and a naive client that fetches one message per command. The language-ID model is
loaded before timing either (a one-off ~0.5 s on the first sync of a process).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "sent.json"
sys.path.insert(0, str(ROOT))  # the Dovecot harness lives with the tests

# A real keyring file in a temp dir, chosen explicitly (as the tests do).
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="panza-bench-keyring")

from imapclient import IMAPClient  # noqa: E402

from panza.daemon.config import Config, ImapAccount, UserConfig  # noqa: E402
from panza.daemon.config.schema import CleaningConfig  # noqa: E402
from panza.daemon.demo.sample import PERSONA, generate  # noqa: E402
from panza.daemon.demo.sample.dovecot import (  # noqa: E402
    PASSWORD,
    CommandLog,
    Dovecot,
    append,
    dovecot_binary,
    make_self_signed,
)
from panza.daemon.mail.clean import CleanRules  # noqa: E402
from panza.daemon.mail.language import warm_up  # noqa: E402
from panza.daemon.pipeline.ingest import Cursor, RawMail, ingest_batch  # noqa: E402
from panza.daemon.pipeline.sync import SyncContext, sync_accounts  # noqa: E402
from panza.daemon.secrets import set_secret  # noqa: E402
from panza.daemon.sources.imap import sent  # noqa: E402
from panza.daemon.sources.imap.conn import ImapSettings, open_session  # noqa: E402
from panza.daemon.store import Store  # noqa: E402

Figures = dict[str, dict[str, Any]]
USER = "bench"


def fig(value: Any, unit: str, target: Any = None, baseline: Any = None) -> dict[str, Any]:
    return {"value": value, "unit": unit, "target": target, "baseline": baseline}


def counted_sync(ctx: SyncContext) -> tuple[float, int, int]:
    """Seconds, new messages and IMAP commands (incl. the login) of one sync pass."""
    log = CommandLog()

    def connect(settings: ImapSettings) -> IMAPClient:
        return log.attach(open_session(settings))

    start = time.perf_counter()
    result = sent.sync_account(ctx, connect=connect)
    return time.perf_counter() - start, result.new, len(log.commands) + 1


def local_baseline(raws: list[bytes], rules: CleanRules, work: Path) -> float:
    """Messages/s cleaning and storing the same messages in the same batches, no IMAP."""
    with Store(work / "local.db") as store:
        start = time.perf_counter()
        for i in range(0, len(raws), sent.BODY_BATCH):
            batch = [
                RawMail(r, f"1:{i + j}", "Sent")
                for j, r in enumerate(raws[i : i + sent.BODY_BATCH])
            ]
            cursor = Cursor("Sent", {"uidvalidity": 1, "last_uid": i + len(batch)})
            ingest_batch(store, batch, rules, "local", max_bytes=25_000_000, cursor=cursor)
        return len(raws) / (time.perf_counter() - start)


def naive_baseline(server: Dovecot, count: int) -> float:
    """Messages/s of a client fetching BODY.PEEK[] one message per command (fetch only)."""
    client = server.client(USER)
    client.select_folder("Sent", readonly=True)
    uids = sorted(client.search(["ALL"]))[:count]
    start = time.perf_counter()
    for uid in uids:
        client.fetch([uid], ["BODY.PEEK[]"])
    elapsed = time.perf_counter() - start
    client.logout()
    return len(uids) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=5000, help="messages in the Sent folder")
    parser.add_argument("--runs", type=int, default=5, help="runs of the no-new-mail sync")
    args = parser.parse_args()
    binary = dovecot_binary()
    if binary is None:
        raise SystemExit("Dovecot is not installed: apt-get install dovecot-imapd")

    work = Path(tempfile.mkdtemp(prefix="panza-bench-imap"))
    tls = make_self_signed(work / "tls")
    server = Dovecot(binary, tls).start()
    try:
        raws = [m.raw for m in generate(args.n, seed=7)]
        seeder = server.client(USER)
        append(seeder, raws, chunk=500)
        seeder.logout()
        set_secret("work", "password", PASSWORD)
        config = Config(
            user=UserConfig(name=PERSONA.name, emails=[PERSONA.address, PERSONA.alias]),
            cleaning=CleaningConfig(),
            accounts={
                "work": ImapAccount(
                    kind="imap",
                    host="127.0.0.1",
                    port=server.tls_port,
                    user=USER,
                    ca_file=str(tls.cert),
                )
            },
        )
        rules = CleanRules.from_config(config)
        warm_up()
        with Store(work / "panza.db") as store:
            ctx = SyncContext(store, "work", config.accounts["work"], rules, 25_000_000, 0.1, None)
            seconds, new, commands = counted_sync(ctx)
            assert new == args.n, f"stored {new} of {args.n}"
            _, _, idle_commands = counted_sync(ctx)
            quiet = []
            for _ in range(args.runs):  # the real path: sync_accounts, status recorded
                start = time.perf_counter()
                (outcome,) = sync_accounts(store, config, only="work")
                quiet.append(time.perf_counter() - start)
                assert outcome.ok and outcome.result.new == 0
        local_rate = local_baseline(raws, rules, work)
        naive_rate = naive_baseline(server, min(1000, args.n))
    finally:
        server.cleanup()

    figures: Figures = {
        "initial_sync_rate": fig(
            round(args.n / seconds), "messages/s", None, f"{round(local_rate)} (no IMAP)"
        ),
        "initial_sync_seconds": fig(round(seconds, 2), f"s for {args.n} messages"),
        "round_trips_per_1000": fig(
            round(commands * 1000 / args.n, 1),
            "IMAP commands per 1,000 messages",
            "< 20",
            "1000 (one FETCH per message)",
        ),
        "naive_fetch_rate": fig(
            round(naive_rate), "messages/s fetched one per command (no storing)"
        ),
        "no_new_mail_sync": fig(
            round(statistics.median(quiet) * 1000, 1),
            f"ms (median of {args.runs})",
            "< 1000",
        ),
        "no_new_mail_round_trips": fig(idle_commands, "IMAP commands"),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
