"""What every child-process job gets besides its own fields (the job modules' seam).

:mod:`panza.training.job` builds it and dispatches; the job modules import it from
here, never from ``job``, so the dispatcher and its jobs form no import cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from panza.training.model import ModelSpec
from panza.training.prompt import Profile

Emit = Callable[[dict[str, Any]], None]
ShouldStop = Callable[[], bool]


@dataclass(frozen=True)
class JobContext:
    """What every job gets besides its own fields."""

    spec: ModelSpec
    profile: Profile
    emit: Emit
    should_stop: ShouldStop
