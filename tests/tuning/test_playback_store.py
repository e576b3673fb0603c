"""Playback against the store: only what needs an instruction is played back, each batch is
stored as it finishes, and a run killed mid-way resumes where it stopped."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from panza.daemon import paths
from panza.daemon.config import load_config
from panza.daemon.store import Store
from panza.daemon.store.instructions import needing_instruction
from panza.daemon.tuning import TrainingJobError, run_playback
from tests.corpus import EMAILS, add_emails
from tests.model_fixtures import write_config

SLOW_CHILD = (sys.executable, str(Path(__file__).with_name("slow_child.py")))
NEVER = ("false",)  # a child command that fails if it is ever started


def _instructions(store: Store) -> dict[int, tuple[str | None, str | None, str | None]]:
    rows = store.conn.execute(
        "SELECT id, instruction, instruction_model, playback_error FROM emails"
    )
    return {int(r[0]): (r[1], r[2], r[3]) for r in rows}


def test_only_emails_without_an_instruction_from_this_model_are_played_back(
    store: Store, learn_home: Path, tiny_base: Path
) -> None:
    ids = add_emails(store, EMAILS[:6])
    config, where = load_config(paths.resolve().config_file), paths.resolve()
    first = run_playback(store, config, where)
    assert (first.model, first.pending, first.written) == ("subject", 6, 6)
    stored = _instructions(store)
    assert stored[ids[0]] == ('Write an email about "Zoom link".', "subject", None)
    assert stored[ids[3]][0] == 'Reply to the email about "Review".'

    again = run_playback(store, config, where, command=NEVER)  # nothing to do: no child
    assert again.pending == 0

    no_subject = ("", "Hi Tom, see you at seven tonight, David", "x")
    new = add_emails(store, (no_subject, *EMAILS[6:7]))
    third = run_playback(store, config, where)
    assert (third.pending, third.written, dict(third.failed)) == (2, 1, {"empty": 1})
    assert _instructions(store)[new[0]] == (None, "subject", "empty")
    # A failure with this model is not retried on every run, only when asked.
    assert run_playback(store, config, where, command=NEVER).pending == 0
    assert [e.id for e in needing_instruction(store.conn, "subject", retry_failed=True)] == [new[0]]

    # Another playback model: every email is played back again.
    write_config(learn_home, tiny_base)
    text = (learn_home / "config.toml").read_text().replace('"subject"', '"other-model"')
    (learn_home / "config.toml").write_text(text)
    assert len(needing_instruction(store.conn, "other-model")) == 8


def test_a_killed_playback_loses_at_most_the_batch_in_flight_and_resumes(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = add_emails(store, EMAILS[:10])
    config, where = load_config(paths.resolve().config_file), paths.resolve()
    log, pid_file = tmp_path / "generated.log", tmp_path / "child.pid"
    monkeypatch.setenv("PLAYBACK_LOG", str(log))
    monkeypatch.setenv("PLAYBACK_PID", str(pid_file))
    monkeypatch.setenv("PLAYBACK_DELAY", "0.5")

    def kill_after_two_batches(done: int, total: int) -> None:
        if done == 4:
            os.kill(int(pid_file.read_text()), signal.SIGKILL)

    with pytest.raises(TrainingJobError, match=r"^playback was killed by SIGKILL at "):
        run_playback(store, config, where, progress=kill_after_two_batches, command=SLOW_CHILD)
    kept = [i for i, (instr, _, _) in _instructions(store).items() if instr]
    assert 4 <= len(kept) <= 6  # both finished batches stored; at most one more got through
    first_run = log.read_text().split()

    monkeypatch.setenv("PLAYBACK_DELAY", "0")
    log.unlink()
    resumed = run_playback(store, config, where, command=SLOW_CHILD)
    assert resumed.pending == 10 - len(kept) and resumed.written == resumed.pending
    second_run = log.read_text().split()
    assert sorted(map(int, second_run)) == sorted(set(ids) - set(kept))
    # Work redone: at most the batch (2 emails) that was in flight when the child died.
    assert len(set(first_run) & set(second_run)) <= 2
    assert all(instr for instr, _, _ in _instructions(store).values())
