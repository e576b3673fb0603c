"""`python -m panza.training [JOB.json]`: run one job (JSON on stdin or in a file) and print
its events as JSON lines on stdout; the last line is a "result" or an "error" event.

SIGTERM and SIGINT ask the job to stop at the next micro-batch; nothing is published
then, and the exit status is 130. Other failures exit 1 with an "error" event whose
"kind" says what went wrong (model_not_found, bad_job, ...). Logs go to stderr.
PANZA_TORCH_THREADS caps torch's CPU threads (tests and benchmarks on small machines).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
from pathlib import Path
from types import FrameType
from typing import Any

_stop = False


def _request_stop(signum: int, frame: FrameType | None) -> None:
    global _stop
    _stop = True


def _emit(event: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, _request_stop)
    signal.signal(signal.SIGINT, _request_stop)
    try:
        text = Path(argv[0]).read_text(encoding="utf-8") if argv else sys.stdin.read()
        job = json.loads(text)
    except (OSError, json.JSONDecodeError) as exc:
        _emit({"event": "error", "kind": "bad_job", "message": f"cannot read the job: {exc}"})
        return 1
    threads = os.environ.get("PANZA_TORCH_THREADS")
    if threads:
        # Read by torch when it starts (if the job needs it at all): no import here.
        os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = threads
    from panza.training.errors import Cancelled, TrainingError
    from panza.training.job import run

    try:
        run(job, _emit, lambda: _stop)
    except Cancelled as exc:
        _emit({"event": "error", "kind": exc.kind, "message": str(exc)})
        return 130
    except TrainingError as exc:
        _emit({"event": "error", "kind": exc.kind, "message": str(exc)})
        return 1
    except Exception as exc:  # report anything else as one event, details on stderr
        traceback.print_exc()
        _emit({"event": "error", "kind": "internal", "message": f"{type(exc).__name__}: {exc}"})
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
