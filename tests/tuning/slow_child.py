"""A playback child that is slow and logs each batch it generates (the resume test).

Runs the real `python -m panza.training` entry with the subject generator wrapped: it
writes its pid to $PLAYBACK_PID, appends each batch's ids to $PLAYBACK_LOG and sleeps
$PLAYBACK_DELAY seconds per batch.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence

import panza.training.playback as pb
from panza.training.__main__ import main
from panza.training.model import ModelSpec


class Slow(pb.SubjectGenerator):
    def __call__(self, items: Sequence[pb.PlaybackItem], retry: bool) -> list[str]:
        with open(os.environ["PLAYBACK_LOG"], "a", encoding="utf-8") as log:
            log.write(" ".join(i.id for i in items) + "\n")
        time.sleep(float(os.environ.get("PLAYBACK_DELAY", "0")))
        return super().__call__(items, retry)


def _slow(spec: ModelSpec) -> pb.Generator:
    return Slow()


if __name__ == "__main__":
    pb.make_generator = _slow
    with open(os.environ["PLAYBACK_PID"], "w", encoding="utf-8") as f:
        f.write(str(os.getpid()))
    sys.exit(main(sys.argv[1:]))
