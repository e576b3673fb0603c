"""A job child killed by a signal is reported as what happened, not by its last stderr line."""

from __future__ import annotations

import signal
import sys

import pytest

import panza.training.memory
from panza.daemon.tuning.child import TrainingJobError, exit_message, run_job

# A child that holds ~300 MB for a second, says something on stderr, then dies from
# signal argv[1]. The parent (pytest, torch loaded) is larger: the peak must be the child's.
DIE = (
    "import os, sys, time; block = bytearray(300_000_000);"
    " block[::4096] = b'x' * len(block[::4096]);"
    " print('Loading weights: 100%', file=sys.stderr, flush=True); time.sleep(1);"
    " os.kill(os.getpid(), int(sys.argv[1]))"
)


def die_by(signum: int) -> tuple[str, ...]:
    return (sys.executable, "-c", DIE, str(int(signum)))


def test_a_child_killed_near_the_machines_memory_ran_out_of_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import torch

    torch.zeros(100_000_000).add_(1)  # this process holds 0.4 GB more than the child
    monkeypatch.setattr(panza.training.memory, "machine_memory", lambda: 0.33e9)
    with pytest.raises(TrainingJobError) as caught:
        run_job({"kind": "train"}, lambda e: None, command=die_by(signal.SIGKILL))
    message = str(caught.value)
    assert message.startswith("training ran out of memory at 0.3 GB")
    assert "try --method lora" in message and "Loading weights" not in message


def test_a_sigkill_far_below_the_machines_memory_says_so() -> None:
    with pytest.raises(TrainingJobError) as caught:
        run_job({"kind": "train"}, lambda e: None, command=die_by(signal.SIGKILL))
    assert str(caught.value).startswith("training was killed by SIGKILL at 0.3 GB of memory")


def test_a_child_stopped_by_sigterm_says_sigterm() -> None:
    with pytest.raises(TrainingJobError, match=r"^playback was stopped by SIGTERM$"):
        run_job({"kind": "playback"}, lambda e: None, command=die_by(signal.SIGTERM))


def test_exit_messages_name_the_job_and_the_signal() -> None:
    gb = 1e9
    assert (
        exit_message("eval", signal.SIGINT, 1 * gb, 24 * gb) == "evaluation was stopped by SIGINT"
    )
    oom = exit_message("train", signal.SIGKILL, 23.8 * gb, 24 * gb)
    assert oom.startswith("training ran out of memory at 23.8 GB (the system stopped it); try ")
