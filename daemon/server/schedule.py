"""The daemon's schedules (APScheduler): periodic sync, and the retraining trigger.

One instance per job, missed runs coalesced, a grace period for a machine
that slept; pause stops them all, resume starts them again. What each run does
is in :mod:`panza.daemon.server.routines`; the rules of when are here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from panza.daemon.config import ScheduleConfig

log = logging.getLogger(__name__)
Job = Callable[[], Awaitable[None]]
_DEFAULTS = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 600}
RETRY_TRAIN_S = 3600.0


def retry_wait_over(failed_at: float | None, now: float, wait_s: float = RETRY_TRAIN_S) -> bool:
    """May a scheduled training start, ``failed_at`` being when the last one failed (None: it
    did not)? After a failure (no base model configured, say) wait an hour, not a minute."""
    return failed_at is None or now - failed_at >= wait_s


def retrain_for_new_mail(new_kept: int, threshold: int) -> bool:
    """Housekeeping retrains early once this much new kept mail came in since the last one."""
    return new_kept >= threshold


class Schedules:
    """Owns the scheduler; ``apply`` (re)installs jobs from the config."""

    def __init__(self, sync: Job, retrain: Job | None = None, housekeeping: Job | None = None):
        self._sync, self._retrain, self._housekeeping = sync, retrain, housekeeping
        self._scheduler = AsyncIOScheduler(job_defaults=_DEFAULTS)

    def start(self, config: ScheduleConfig) -> None:
        self.apply(config)
        self._scheduler.start()

    def apply(self, config: ScheduleConfig) -> None:
        self._scheduler.add_job(
            self._sync,
            IntervalTrigger(minutes=config.sync_minutes),
            id="sync",
            replace_existing=True,
        )
        if self._housekeeping is not None:
            self._scheduler.add_job(
                self._housekeeping,
                IntervalTrigger(minutes=1),
                id="housekeeping",
                replace_existing=True,
            )
        if self._retrain is not None:
            hour, minute = (int(x) for x in config.retrain_at.split(":"))
            self._scheduler.add_job(
                self._retrain,
                CronTrigger(hour=hour, minute=minute),
                id="retrain",
                replace_existing=True,
            )

    def next_runs(self) -> dict[str, str | None]:
        return {
            job.id: job.next_run_time.isoformat() if job.next_run_time else None
            for job in self._scheduler.get_jobs()
        }

    def pause(self) -> None:
        self._scheduler.pause()

    def resume(self) -> None:
        self._scheduler.resume()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
