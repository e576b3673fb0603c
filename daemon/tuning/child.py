"""Run a `python -m panza.training` job in a child process and stream its JSON events.

The child does the heavy lifting (torch, the model); this side only writes the job to
its stdin, reads one JSON event per stdout line, and turns an "error" event into a
one-line PanzaError. Ctrl-C or an exception here stops the child first (SIGTERM, then
SIGKILL), so no orphan keeps training.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from panza.daemon.errors import PanzaError, UserError

Event = dict[str, Any]
OnEvent = Callable[[Event], None]
CHILD = (sys.executable, "-m", "panza.training")
STOP_GRACE_S = 20.0

# Children of run_job still running, so the daemon can stop them from its shutdown path.
_live: set[subprocess.Popen[str]] = set()
_live_lock = threading.Lock()
# Set by stop_all: the daemon is going away, so a job that reaches its next child (after
# playback, or after preparing a training run) stops there instead of starting it.
_closing = threading.Event()


class TrainingJobError(PanzaError):
    """A playback, training or evaluation job failed; ``kind`` is the child's error kind."""

    def __init__(self, message: str, kind: str = "internal") -> None:
        self.kind = kind
        super().__init__(message)


class ModelMissingError(TrainingJobError, UserError):
    """The configured model is not on this machine and downloads are off."""


class JobCancelledError(TrainingJobError):
    """The job was stopped before it finished; nothing was published."""

    exit_code = 130


def run_job(
    job: Mapping[str, Any],
    on_event: OnEvent,
    *,
    command: Sequence[str] = CHILD,
    niceness: int = 0,
    env: Mapping[str, str] | None = None,
) -> Event:
    """Run `job`; every event but the final one goes to `on_event`; returns the result."""
    if _closing.is_set():
        raise JobCancelledError("stopped: the daemon is shutting down")
    child_env = {**os.environ, **(env or {})}
    result: Event | None = None
    failure: Event | None = None
    with (
        tempfile.TemporaryFile("w+", encoding="utf-8") as errors,
        subprocess.Popen(
            list(command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            encoding="utf-8",
            env=child_env,
        ) as proc,
    ):
        with _live_lock:
            _live.add(proc)
        watch = _PeakWatch(proc.pid)
        if niceness:
            with contextlib.suppress(OSError):  # lowering our own child's priority
                os.setpriority(os.PRIO_PROCESS, proc.pid, niceness)
        try:
            if _closing.is_set():  # stop_all ran after the check above, maybe before the add
                raise JobCancelledError("stopped: the daemon is shutting down")
            assert proc.stdin is not None and proc.stdout is not None
            with contextlib.suppress(BrokenPipeError):  # a child that died at once
                proc.stdin.write(json.dumps(job, ensure_ascii=False))
                proc.stdin.close()
            for line in proc.stdout:
                event = _parse(line)
                if event is None:
                    continue
                kind = event.get("event")
                if kind == "result":
                    result = event
                elif kind == "error":
                    failure = event
                else:
                    on_event(event)
            code, peak = _wait(proc, watch)
        except BaseException:
            watch.stop()
            stop(proc)
            raise
        finally:
            with _live_lock:
                _live.discard(proc)
        errors.seek(0)
        tail = [ln for ln in errors.read().splitlines() if ln.strip()][-1:]
    if failure is not None:
        raise _error(failure)
    if code < 0:
        raise TrainingJobError(exit_message(str(job.get("kind", "")), -code, peak), "signal")
    if code != 0 or result is None:
        detail = tail[0] if tail else f"exit status {code}"
        raise TrainingJobError(f"the panza.training process failed: {detail}")
    return result


def _wait(proc: subprocess.Popen[str], watch: _PeakWatch) -> tuple[int, float]:
    """Reap the child: its exit code (-N for signal N) and its peak resident memory in bytes."""
    _, status, usage = os.wait4(proc.pid, 0)
    watch.stop()
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    # ru_maxrss counts the forked copy of this process before exec (a daemon holding a
    # drafting model would inflate it); /proc's VmHWM counts the child's own program only.
    scale = 1 if sys.platform == "darwin" else 1024  # macOS: bytes; Linux: KiB
    return code, watch.peak or float(usage.ru_maxrss) * scale


class _PeakWatch:
    """Samples a child's peak RSS (VmHWM) from /proc every quarter second until stopped."""

    def __init__(self, pid: int) -> None:
        self.peak = 0.0
        self._path = f"/proc/{pid}/status"
        self._done = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self._done.wait(0.25):
            try:
                with open(self._path, encoding="ascii") as fh:
                    lines = [ln for ln in fh if ln.startswith("VmHWM:")]
            except OSError:
                return
            if lines:
                self.peak = max(self.peak, float(lines[0].split()[1]) * 1024)

    def stop(self) -> None:
        self._done.set()


def exit_message(kind: str, signum: int, peak: float, memory: float | None = None) -> str:
    """What a child killed by signal `signum` at `peak` bytes of memory means for the user."""
    from panza.training.memory import GB, OOM_ADVICE, machine_memory

    what = {"train": "training", "eval": "evaluation", "playback": "playback"}.get(kind, "the job")
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = f"signal {signum}"
    have = machine_memory() if memory is None else memory
    advice = OOM_ADVICE if kind == "train" else "try a smaller model, and close other programs"
    if signum != signal.SIGKILL:
        return f"{what} was stopped by {name}"
    # The kernel's out-of-memory killer sends SIGKILL; near the machine's memory it is
    # surely the cause (the child's own peak may be lower when others use memory too).
    if peak >= 0.8 * have:
        return f"{what} ran out of memory at {peak / GB:.1f} GB (the system stopped it); {advice}"
    return (
        f"{what} was killed by SIGKILL at {peak / GB:.1f} GB of memory (of {have / GB:.1f} GB):"
        f" if nobody stopped it, the system ran short of memory; {advice}"
    )


def stop(proc: subprocess.Popen[str]) -> None:
    """Ask the child to stop, then kill it if it does not within the grace period."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def stop_all() -> int:
    """Stop every child that :func:`run_job` is running (any thread), and every one it would
    start from now on (see :func:`reopen`); returns how many were running.

    The job that ran it sees the child end without a result and fails: nothing published.
    """
    _closing.set()  # before the snapshot: a child registered after it sees the flag
    with _live_lock:
        procs = list(_live)
    for proc in procs:
        stop(proc)
    return len(procs)


def reopen() -> None:
    """Allow children again after :func:`stop_all` (a daemon started anew in this process)."""
    _closing.clear()


def _parse(line: str) -> Event | None:
    line = line.strip()
    if not line.startswith("{"):
        return None  # a library printing to stdout; not ours
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return None
    return event if isinstance(event, dict) else None


def _error(event: Event) -> TrainingJobError:
    kind, message = str(event.get("kind", "internal")), str(event.get("message", "failed"))
    if kind == "model_not_found":
        return ModelMissingError(message, kind)
    if kind == "cancelled":
        return JobCancelledError(message, kind)
    return TrainingJobError(message, kind)
