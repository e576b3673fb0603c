"""Training against the store: versions are recorded, a worse version is kept but not made
current, and a killed run leaves no version folder and the current adapter as it was."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from panza.daemon import paths
from panza.daemon.config import load_config
from panza.daemon.store import Store
from panza.daemon.store.state import current_adapter
from panza.daemon.tuning import (
    JobCancelledError,
    TrainingJobError,
    adopt_orphans,
    run_playback,
    run_training,
)
from panza.daemon.tuning import examples as learn_records
from panza.training.job import run
from panza.training.versions import list_versions, read_manifest
from tests.corpus import EMAILS, add_emails
from tests.model_fixtures import write_config

# The real child, writing its pid first so that a test can kill it.
PID_CHILD = (
    sys.executable,
    "-c",
    "import os, sys; open(os.environ['CHILD_PID'], 'w').write(str(os.getpid()));"
    " from panza.training.__main__ import main; sys.exit(main([]))",
)


def _versions(store: Store) -> list[tuple[int, str]]:
    rows = store.conn.execute("SELECT version, status FROM adapter_versions ORDER BY version")
    return [(int(r[0]), str(r[1])) for r in rows]


@pytest.fixture
def trained(store: Store, learn_home: Path, tiny_base: Path) -> Store:
    """Emails played back, and v0001 trained in-process and adopted as current."""
    add_emails(store, EMAILS)
    config, where = load_config(paths.resolve().config_file), paths.resolve()
    run_playback(store, config, where)
    split = learn_records.load_split(store.conn)
    job = {
        "kind": "train",
        "model": {"name": str(tiny_base)},
        "profile": {"name": "David"},
        "hyper": {
            "epochs": 2,
            "batch_size": 4,
            "micro_batch_size": 4,
            "max_length": 256,
            "learning_rate": 1e-2,
            "acceptance_tolerance": 1.0,
        },
        "train": split.train,
        "test": split.test,
        "adapters_dir": str(where.adapters_dir),
        "version": 1,
        "current": None,
    }
    run(job, lambda e: None)
    # As if the process died between publishing v0001 and recording it.
    assert adopt_orphans(store, where.adapters_dir) == [1]
    assert current_adapter(store.conn) == 1 and _versions(store) == [(1, "accepted")]
    return store


def test_a_worse_version_is_kept_as_rejected_and_does_not_become_current(
    trained: Store, learn_home: Path, tiny_base: Path
) -> None:
    # A learning rate this high wrecks the model: held-out loss must get worse.
    write_config(learn_home, tiny_base, learning_rate=50.0, acceptance_tolerance=0.0)
    config, where = load_config(paths.resolve().config_file), paths.resolve()
    (where.adapters_dir / ".v0002.partial-999999999").mkdir()  # left by a killed run
    outcome = run_training(trained, config, where, full_retrain=True)
    assert outcome.status == "rejected" and outcome.version == 2
    published = outcome.result.published
    assert published is not None and "worse than v0001's" in published.manifest.reason
    assert _versions(trained) == [(1, "accepted"), (2, "rejected")]
    assert current_adapter(trained.conn) == 1
    row = trained.conn.execute(
        "SELECT reason, email_count, metrics FROM adapter_versions WHERE version = 2"
    ).fetchone()
    assert row[0] == published.manifest.reason and row[1] == 12
    assert read_manifest(where.adapters_dir / "v0002").accepted is False
    assert sorted(p.name for p in where.adapters_dir.iterdir()) == [".lock", "v0001", "v0002"]


def _run_and_signal(
    store: Store, sig: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> list[dict[str, Any]]:
    pid_file = tmp_path / "child.pid"
    monkeypatch.setenv("CHILD_PID", str(pid_file))
    config, where = load_config(paths.resolve().config_file), paths.resolve()
    events: list[dict[str, Any]] = []

    def on_event(event: dict[str, Any]) -> None:
        events.append(event)
        if event.get("event") == "step" and event["step"] == 1:
            os.kill(int(pid_file.read_text()), sig)

    run_training(store, config, where, full_retrain=True, on_event=on_event, command=PID_CHILD)
    return events


def test_kill_9_mid_run_leaves_no_version_and_the_current_adapter_unchanged(
    trained: Store,
    learn_home: Path,
    tiny_base: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_config(learn_home, tiny_base, epochs=50, full_epochs=50)  # long enough to interrupt
    where = paths.resolve()
    with pytest.raises(TrainingJobError, match=r"^training was killed by SIGKILL at "):
        _run_and_signal(trained, signal.SIGKILL, tmp_path, monkeypatch)
    assert list_versions(where.adapters_dir) == [1]
    assert [p.name for p in where.adapters_dir.iterdir() if not p.name.startswith(".")] == ["v0001"]
    assert current_adapter(trained.conn) == 1 and _versions(trained) == [(1, "accepted")]
    assert read_manifest(where.adapters_dir / "v0001").version == 1  # untouched

    # SIGTERM (how the daemon cancels) stops at the next micro-batch, also publishing nothing.
    with pytest.raises(JobCancelledError, match="cancelled"):
        _run_and_signal(trained, signal.SIGTERM, tmp_path, monkeypatch)
    assert list_versions(where.adapters_dir) == [1] and current_adapter(trained.conn) == 1
