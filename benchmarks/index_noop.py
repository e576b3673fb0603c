"""`panza index` with nothing to do against its first run, as a user runs them (issue 15).

Each run is a fresh `panza index` process on a throwaway PANZA_HOME holding the emails.
The same-run baseline is the no-op as it was before the model loaded lazily: the same
command in a process that first loads the embedding model (what `panza index` used to do
whether or not anything needed embedding). Wall time and CPU time (user + system, the
figure a loaded machine distorts least) are both recorded; each no-op figure is a median.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from panza.daemon import paths
from panza.daemon.store import EmailRecord, Store
from panza.daemon.store.emails import insert_emails

EAGER = (
    "import sys; from panza.daemon.index import DEFAULT_MODEL, load_embedder;"
    " load_embedder(DEFAULT_MODEL).dim;"
    " from panza.daemon.cli import main; sys.exit(main(['index']))"
)


def _timed(args: list[str], home: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one child process; it must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    env = {**os.environ, "PANZA_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    subprocess.run([sys.executable, *args], env=env, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _home(root: Path, emails: list[tuple[str, str]]) -> Path:
    home = root / "home"
    cli = ["-m", "panza.daemon.cli"]
    _timed([*cli, "init", "--name", "Ada Whitfield", "--email", "ada@whitfield.example"], home)
    day = datetime(2024, 1, 1, tzinfo=UTC)
    records = [
        EmailRecord(account="bench", provider_id=f"p{i}", message_id=f"<{i}@example.org>",
                    date=day + timedelta(days=i), subject=subject, recipients=("x@example.org",),
                    text=text, thread=(), status="kept")
        for i, (subject, text) in enumerate(emails)
    ]  # fmt: skip
    with Store(paths.resolve({"PANZA_HOME": str(home)}).db_file) as store, store.write() as conn:
        insert_emails(conn, records)
    return home


def noop_figures(emails: list[tuple[str, str]], repeats: int = 3) -> dict[str, dict[str, Any]]:
    index = ["-m", "panza.daemon.cli", "index"]
    with tempfile.TemporaryDirectory() as tmp:
        home = _home(Path(tmp), emails)
        first = _timed(index, home)
        lazy = [_timed(index, home) for _ in range(repeats)]
        eager = [_timed(["-c", EAGER], home) for _ in range(repeats)]

    def median(runs: list[tuple[float, float]], which: int) -> float:
        return round(statistics.median(r[which] for r in runs), 2)

    extra = {"emails": len(emails), "repeats": repeats}
    return {
        "index_noop_wall": {"value": median(lazy, 0), "unit": "s", "target": "< 1",
                            "baseline": median(eager, 0), **extra},
        "index_noop_cpu": {"value": median(lazy, 1), "unit": "s", "target": "< 1",
                           "baseline": median(eager, 1), **extra},
        "index_first_run_wall": {"value": round(first[0], 2), "unit": "s", "target": None,
                                 "baseline": None, **extra},
        "index_first_run_cpu": {"value": round(first[1], 2), "unit": "s", "target": None,
                                "baseline": None, **extra},
    }  # fmt: skip


if __name__ == "__main__":
    import json

    from bench_index import load_emails

    print(json.dumps(noop_figures(load_emails()[0]), indent=2))
