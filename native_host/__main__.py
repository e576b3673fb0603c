"""The native messaging host: ``python -m panza.native_host <caller...>``, started by the browser.

stdout carries frames and nothing else (fd 1 is pointed at stderr so that a
stray print cannot corrupt the stream); the log goes to ``logs/native-host.log``
under the data dir. The host runs until the browser closes stdin.
"""

from __future__ import annotations

import os
import sys

from panza.daemon import paths
from panza.native_host import caller
from panza.native_host.autostart import ServiceStarter
from panza.native_host.framing import FrameError, FrameReader, error_reply
from panza.native_host.log import log
from panza.native_host.relay import FrameWriter, Relay

TYPE_CHECKING = False  # typing's costs start-up time; mypy still sees it as True
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import BinaryIO

LOG_NAME = "native-host.log"


def claim_stdout() -> BinaryIO:
    """A private handle on the real stdout; fd 1 itself now goes to stderr."""
    fd = os.dup(1)
    try:
        os.dup2(2, 1)
    except OSError:  # no stderr at all: stray output goes nowhere
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
    sys.stdout = sys.stderr
    return open(fd, "wb")  # lives as long as the process


def setup_logging(where: paths.Paths) -> None:
    corrected: list[str] = []  # modes found too open, logged once the log is open
    try:
        paths.ensure_private_dir(where.data_dir, corrected.append)
        logs = paths.ensure_private_dir(where.logs_dir, corrected.append)
        paths.tighten(logs / LOG_NAME, paths.PRIVATE_FILE, corrected.append)
    except OSError:
        return  # never fall back to stdout
    log.open(logs / LOG_NAME, debug=bool(os.environ.get("PANZA_HOST_DEBUG")))
    for line in corrected:
        log.warning("%s", line)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    paths.private_umask()  # the log and any folder the host creates first: owner only
    writer = FrameWriter(claim_stdout())
    where = paths.resolve()
    setup_logging(where)
    refused = caller.refusal(argv, os.environ)
    if refused is not None:
        log.warning("refused: %s", refused)
        writer.send(error_reply(None, "bad_request", refused))
        return 1
    log.info("started for %s", caller.caller_id(argv))
    relay = Relay(where.socket_file, writer, ServiceStarter())
    reader = FrameReader(sys.stdin.buffer)
    try:
        while (item := reader.read()) is not None:
            if isinstance(item, FrameError):
                log.warning("bad frame (%s): %s", item.code, item.message)
                writer.send(item.reply())
                continue
            try:
                relay.forward(item)
            except Exception:  # one bad request must not end the browser's port
                log.exception("relaying a request failed")
                request_id = item.get("id") if isinstance(item.get("id"), str) else None
                writer.send(error_reply(request_id, "internal", "the native host failed"))
    finally:
        relay.close()
    log.info("stdin closed; exiting")
    return 0


if __name__ == "__main__":
    sys.exit(main())
