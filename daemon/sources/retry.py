"""The one retry rule of every mail source: how often, and how long to wait in between.

Which failures are worth another try is each protocol's own pure classification
(``imap.conn.is_transient``, ``gmail.transient.classify``); how patiently they are
retried is defined here once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` tries in a row with capped exponential backoff; ``sleep``, ``rand``: seams."""

    attempts: int = 6
    base_s: float = 0.5
    cap_s: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    rand: Callable[[], float] = random.random

    def delay(self, failure: int, retry_after: float | None = None) -> float:
        """The pause after the ``failure``-th failure in a row (from 1).

        "Equal jitter": between half and all of the step, so clients that failed together
        do not come back together. A server's Retry-After wins, up to the cap.
        """
        step = min(self.cap_s, self.base_s * 2.0 ** max(0, failure - 1))
        wait = float(step * (0.5 + self.rand() / 2))
        return max(wait, min(retry_after, self.cap_s)) if retry_after else wait
