"""The daemon's own work beside what clients ask: the scheduled sync, playback of new mail
after a sync, the scheduled retraining and the minute's housekeeping.

Each run is a job of :class:`panza.daemon.server.jobs.Jobs`, so ``status`` shows it and a
client's request for the same job gets ``busy``; the rules of when are pure functions
(here and in :mod:`panza.daemon.server.schedule`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

from panza.daemon.pipeline.sync import SyncOutcome
from panza.daemon.server.background import Work
from panza.daemon.server.drafting import Drafting
from panza.daemon.server.jobs import Jobs
from panza.daemon.server.operations import Service
from panza.daemon.server.schedule import retrain_for_new_mail, retry_wait_over
from panza.daemon.tuning.retrain import play_back, retrain

log = logging.getLogger(__name__)
# Jobs that run the model over new mail themselves: training plays back first anyway.
PLAYS_BACK = frozenset({"playback", "train"})


def playback_wanted(kept: int, paused: bool, running: Collection[str]) -> bool:
    """After a sync that kept ``kept`` new emails: play them back now?

    Not while paused (a sync the user asks for still runs then; the next sync or training
    after ``resume`` plays these back), and not beside a job that plays them back anyway.
    """
    return kept > 0 and not paused and not PLAYS_BACK.intersection(running)


@dataclass
class Routines:
    """What the schedules and a finished sync start; ``spawn`` runs work in the background."""

    service: Service
    jobs: Jobs
    drafting: Drafting
    spawn: Callable[[Work, str], None]

    async def sync(self) -> None:
        """The scheduled sync: skipped while paused, without accounts, or beside another."""
        if self.service.paused or not self.service.config.accounts:
            return
        if self.jobs.is_running("sync"):
            return
        try:
            outcomes = await self.jobs.run("sync", lambda progress: self.service.sync(progress))
        except Exception:
            log.exception("scheduled sync failed")
            return
        self.after_sync(outcomes)

    def after_sync(self, outcomes: list[SyncOutcome]) -> None:
        """New kept mail gets its playback instruction in the background, after the index.

        A failure is logged and shown in status (the ``playback`` job's last error); the
        sync itself has already succeeded.
        """
        kept = sum(o.result.kept for o in outcomes)
        if playback_wanted(kept, self.service.paused, self.jobs.running()):
            self.spawn(self._play_back(), "playback after sync")

    async def _play_back(self) -> None:
        try:
            await self.jobs.run(
                "playback",
                lambda progress: play_back(self.service, progress),
                summarize=lambda r: r,
            )
        except Exception as exc:
            log.warning("playback after sync failed: %s", exc)

    async def retrain(self) -> None:
        """The scheduled training: never while the user waits for a draft (the next trigger
        tries again), and an hour after a failure rather than each minute."""
        if self.service.paused or self.drafting.drafting or self.jobs.is_running("train"):
            return
        last = self.jobs.states.get("train")
        if not retry_wait_over(last.failed_at if last else None, time.time()):
            return
        try:
            await self.jobs.run("train", lambda progress: retrain(self.service, progress))
        except Exception as exc:
            log.warning("scheduled training did not complete: %s", exc)

    async def housekeeping(self) -> None:
        """Each minute: unload an idle model; retrain once enough new mail came in."""
        schedule = self.service.config.schedule
        self.drafting.writer.unload_if_idle(schedule.model_idle_minutes * 60)
        new = self.service.new_since_last_training()
        if retrain_for_new_mail(new, schedule.retrain_after_new):
            await self.retrain()
