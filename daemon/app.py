"""The daemon's composition root: start the parts in order, stop them in reverse.

``panza daemon`` runs :func:`main` in the foreground (logs to stderr and to
``logs/daemon.log``); the systemd/launchd service runs the same command.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import logging.handlers
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from panza.daemon import paths as panza_paths
from panza.daemon.autodraft.part import Autodraft
from panza.daemon.config import load_config
from panza.daemon.drafting import Drafting
from panza.daemon.errors import ConfigError
from panza.daemon.folder_import import FolderImports
from panza.daemon.handlers import Handlers
from panza.daemon.jobs import Jobs
from panza.daemon.learn import child
from panza.daemon.learn.playback import run_playback
from panza.daemon.schedule import Schedules
from panza.daemon.server import AlreadyRunning, Server
from panza.daemon.service import Service
from panza.daemon.store import Store
from panza.daemon.sync import SyncOutcome
from panza.daemon.watch import Watcher
from panza.daemon.writer import Writer

log = logging.getLogger("panza.daemon")
RETRY_TRAIN_S = 3600
PLAYBACK_NICENESS = 10
LOG_BACKUPS = 3


@contextlib.contextmanager
def instance_lock(run_dir: Path) -> Iterator[None]:
    """Hold ``daemon.lock`` for the daemon's lifetime: one daemon per user."""
    panza_paths.ensure_run_dir(run_dir)
    fd = os.open(run_dir / "daemon.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(f"a Panza daemon is already running ({run_dir})") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


def setup_logging(logs_dir: Path, verbose: bool = False) -> None:
    panza_paths.ensure_private_dir(logs_dir)
    log_file = logs_dir / "daemon.log"
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    to_file = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=5 << 20, backupCount=LOG_BACKUPS, encoding="utf-8"
    )
    to_stderr = logging.StreamHandler()
    root = logging.getLogger()
    for old in list(root.handlers):  # the CLI's one-line stderr setup
        root.removeHandler(old)
    for handler in (to_file, to_stderr):
        handler.setFormatter(fmt)
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # Made before the umask was 077, or by hand: close them again (each fix is logged).
    for path in (log_file, *(Path(f"{log_file}.{i}") for i in range(1, LOG_BACKUPS + 1))):
        panza_paths.tighten(path, panza_paths.PRIVATE_FILE)


class Daemon:
    """The running daemon; :meth:`run` returns after SIGTERM/SIGINT or :meth:`stop`."""

    def __init__(self, where: panza_paths.Paths, extra_handlers: dict[str, Any] | None = None):
        self.paths = where
        self.extra_handlers = extra_handlers or {}
        self._stop: asyncio.Event | None = None
        self._tasks: set[asyncio.Future[None]] = set()
        self.ready = asyncio.Event()

    def stop(self) -> None:
        if self._stop is not None:
            self._stop.set()

    async def run(self) -> None:
        self._stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        with instance_lock(self.paths.run_dir), Store(self.paths.db_file) as store:
            child.reopen()  # a daemon run earlier in this process closed the door
            config = load_config(self.paths.config_file)
            service = Service(self.paths, config, store)
            jobs = Jobs()
            drafting = Drafting(service, Writer(service), jobs)
            autodraft = Autodraft(service, drafting, loop)
            service.status_parts["autodraft"] = autodraft.status
            schedules = Schedules(
                sync=lambda: self._scheduled_sync(service, jobs),
                retrain=lambda: self._scheduled_retrain(service, jobs, drafting),
                housekeeping=lambda: self._housekeeping(service, drafting),
            )
            handlers = Handlers(
                service,
                jobs,
                on_pause=schedules.pause,
                on_resume=lambda: _resume(schedules, autodraft),
                on_stop=self.stop,
                on_synced=lambda outcomes: self._after_sync(service, jobs, outcomes),
                extra={"draft": drafting.draft, "retrain": drafting.retrain, **self.extra_handlers},
            )
            server = Server(
                self.paths.socket_file,
                handlers.table(),
                stall_s=lambda: service.config.server.client_stall_seconds,
            )
            imports = FolderImports(service, jobs)
            watcher = Watcher(
                loop,
                self.paths.config_file,
                self.paths.import_dir,
                on_config=lambda: self._reload(service, schedules, autodraft),
                on_mbox=imports.add,
            )
            await server.start()
            try:
                schedules.start(config.schedule)
                imports.start()
                try:
                    watcher.start()
                    try:
                        autodraft.apply()
                        log.info("ready on %s", self.paths.socket_file)
                        self.ready.set()
                        await self._stop.wait()
                        log.info("stopping")
                    finally:
                        # Off the loop: a watcher may be waiting for a draft the loop runs.
                        await asyncio.to_thread(autodraft.stop)
                        drafting.close()
                        watcher.stop()
                finally:
                    await imports.stop()
                    schedules.stop()
            finally:
                # A training or playback child must not outlive us: stop it first (its job
                # then fails without publishing, so the current adapter stays as it was),
                # and a job still preparing one never starts it.
                stopped = await asyncio.to_thread(child.stop_all)
                if stopped:
                    log.info("stopped %d training/playback child process(es)", stopped)
                await server.stop()
                jobs.shutdown()
        log.info("stopped")

    async def _scheduled_sync(self, service: Service, jobs: Jobs) -> None:
        if service.paused or not service.config.accounts or jobs.is_running("sync"):
            return
        try:
            outcomes = await jobs.run("sync", lambda progress: service.sync(progress))
        except Exception:
            log.exception("scheduled sync failed")
            return
        self._after_sync(service, jobs, outcomes)

    def _after_sync(self, service: Service, jobs: Jobs, outcomes: list[SyncOutcome]) -> None:
        """New kept mail gets its playback instruction in the background, after the index.

        A failure is logged and shown in status (the ``playback`` job's last error); the
        sync itself has already succeeded. Not while paused (a sync the user asks for still
        runs then): the next sync or training after ``resume`` plays these back.
        """
        if service.paused or not sum(o.result.kept for o in outcomes):
            return
        if jobs.is_running("playback") or jobs.is_running("train"):
            return  # training plays back first anyway; a running playback takes these too

        def play(progress: Any) -> dict[str, Any]:
            played = run_playback(
                service.store,
                service.config,
                service.paths,
                progress=lambda d, t: progress("playback", d, t),
                niceness=PLAYBACK_NICENESS,
            )
            return {"written": played.written, "failed": dict(played.failed)}

        async def go() -> None:
            try:
                await jobs.run("playback", play, summarize=lambda r: r)
            except Exception as exc:
                log.warning("playback after sync failed: %s", exc)

        task = asyncio.ensure_future(go())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _scheduled_retrain(self, service: Service, jobs: Jobs, drafting: Drafting) -> None:
        # Never while the user waits for a draft; the next trigger tries again. After a
        # failure (no base model configured, say) wait an hour rather than retry each minute.
        if service.paused or drafting.drafting or jobs.is_running("train"):
            return
        last = jobs.states.get("train")
        if last and last.last_error and time.time() - (last.finished_at or 0) < RETRY_TRAIN_S:
            return
        try:
            await jobs.run("train", lambda progress: drafting.learn(progress))
        except Exception as exc:
            log.warning("scheduled training did not complete: %s", exc)

    async def _housekeeping(self, service: Service, drafting: Drafting) -> None:
        """Each minute: unload an idle model; retrain once enough new mail came in."""
        drafting.writer.unload_if_idle(service.config.schedule.model_idle_minutes * 60)
        if service.new_since_last_training() >= service.config.schedule.retrain_after_new:
            await self._scheduled_retrain(service, drafting.jobs, drafting)

    def _reload(self, service: Service, schedules: Schedules, autodraft: Autodraft) -> None:
        with contextlib.suppress(ConfigError):  # logged and shown in status; old config kept
            schedules.apply(service.reload_config().schedule)
            autodraft.apply()


def _resume(schedules: Schedules, autodraft: Autodraft) -> None:
    schedules.resume()
    autodraft.wake()


def main(verbose: bool = False) -> int:
    """Run the daemon in the foreground until SIGTERM/SIGINT."""
    # Torch's OpenMP threads spin while waiting; on a shared desktop that steals a core.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    panza_paths.private_umask()  # the mail database and everything beside it: owner only
    where = panza_paths.resolve()
    setup_logging(where.logs_dir, verbose)
    panza_paths.tighten(where.config_file.parent, panza_paths.PRIVATE_DIR)
    panza_paths.tighten(where.config_file, panza_paths.PRIVATE_FILE)
    asyncio.run(Daemon(where).run())
    return 0
