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
from collections.abc import Iterator
from pathlib import Path

from panza.daemon import paths as panza_paths
from panza.daemon.autodraft.part import Autodraft
from panza.daemon.config import load_config
from panza.daemon.errors import ConfigError
from panza.daemon.server.background import Background
from panza.daemon.server.drafting import Drafting
from panza.daemon.server.folder_import import FolderImports
from panza.daemon.server.handlers import Handlers
from panza.daemon.server.jobs import Jobs
from panza.daemon.server.operations import Service
from panza.daemon.server.routines import Routines
from panza.daemon.server.schedule import Schedules
from panza.daemon.server.socket_server import AlreadyRunning, Handler, Server
from panza.daemon.server.watch import Watcher
from panza.daemon.server.writer import Writer
from panza.daemon.store import Store
from panza.daemon.tuning import child

log = logging.getLogger("panza.daemon")
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

    def __init__(self, where: panza_paths.Paths, extra_handlers: dict[str, Handler] | None = None):
        self.paths = where
        self.extra_handlers = extra_handlers or {}
        self._stop: asyncio.Event | None = None
        self.ready = asyncio.Event()

    def stop(self) -> None:
        if self._stop is not None:
            self._stop.set()

    async def run(self) -> None:
        self._stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        async with contextlib.AsyncExitStack() as parts:  # stops them in reverse order
            await self._start(parts, loop)
            log.info("ready on %s", self.paths.socket_file)
            self.ready.set()
            await self._stop.wait()
            log.info("stopping")
        log.info("stopped")

    async def _start(
        self, parts: contextlib.AsyncExitStack, loop: asyncio.AbstractEventLoop
    ) -> None:
        """Start the parts in order, each with its stop pushed onto ``parts``."""
        where = self.paths
        parts.enter_context(instance_lock(where.run_dir))
        store = parts.enter_context(Store(where.db_file))
        child.reopen()  # a daemon run earlier in this process closed the door
        service = Service(where, load_config(where.config_file), store)
        jobs = Jobs()
        parts.callback(jobs.shutdown)
        drafting = Drafting(service, Writer(service), jobs)
        autodraft = Autodraft(service, drafting, loop)
        service.status_parts["autodraft"] = autodraft.status
        background = Background()
        routines = Routines(service, jobs, drafting, background.spawn)
        schedules = Schedules(routines.sync, routines.retrain, routines.housekeeping)
        handlers = Handlers(
            service,
            jobs,
            on_pause=schedules.pause,
            on_resume=lambda: _resume(schedules, autodraft),
            on_stop=self.stop,
            on_synced=routines.after_sync,
            extra={"draft": drafting.draft, "retrain": drafting.retrain, **self.extra_handlers},
        )
        server = Server(
            where.socket_file,
            handlers.table(),
            stall_s=lambda: service.config.server.client_stall_seconds,
        )
        await server.start()
        parts.push_async_callback(server.stop)
        parts.push_async_callback(_stop_children)
        schedules.start(service.config.schedule)
        parts.callback(schedules.stop)
        await parts.enter_async_context(background)
        parts.callback(background.cancel)
        imports = FolderImports(service, jobs)
        background.spawn(imports.run(), "folder imports")
        watcher = Watcher(
            loop,
            where.config_file,
            where.import_dir,
            on_config=lambda: _reload(service, schedules, autodraft),
            on_mbox=imports.add,
        )
        watcher.start()
        parts.callback(watcher.stop)
        parts.callback(drafting.close)
        # Off the loop: a watcher may be waiting for a draft the loop runs.
        parts.push_async_callback(asyncio.to_thread, autodraft.stop)
        autodraft.apply()


async def _stop_children() -> None:
    """A training or playback child must not outlive us: stop it first (its job then fails
    without publishing, so the current adapter stays as it was), and a job still preparing
    one never starts it."""
    stopped = await asyncio.to_thread(child.stop_all)
    if stopped:
        log.info("stopped %d training/playback child process(es)", stopped)


def _reload(service: Service, schedules: Schedules, autodraft: Autodraft) -> None:
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
