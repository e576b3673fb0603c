"""One autodraft round that dies by SIGKILL just before or just after the APPEND.

Run as ``python -m tests.autodraft.crash_child before|after`` with PANZA_HOME and the
test keyring in the environment (the crash tests in test_crash.py).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from datetime import datetime
from typing import Any

from imapclient import IMAPClient

from panza.daemon import paths
from panza.daemon.autodraft import imap_watch
from panza.daemon.autodraft.imap_watch import ImapWatcher
from panza.daemon.config import load_config
from panza.daemon.protocol import DraftParams
from panza.daemon.server.operations import Service
from panza.daemon.server.writer import Draft, Writer
from panza.daemon.store import Store


def main(when: str) -> None:
    real = imap_watch.append_draft

    def dying(client: IMAPClient, folder: str, raw: bytes, at: datetime) -> Any:
        if when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        real(client, folder, raw, at)
        os.kill(os.getpid(), signal.SIGKILL)

    imap_watch.append_draft = dying  # type: ignore[assignment]
    where = paths.resolve()
    with Store(where.db_file) as store:
        service = Service(where, load_config(where.config_file), store)
        writer = Writer(service)

        def draft(params: DraftParams) -> Draft | None:
            return writer.write(params, lambda _t: None, threading.Event())

        ImapWatcher("work", store, lambda: service.config, draft).run_once()
    sys.exit(3)  # not reached: the round always appends


if __name__ == "__main__":
    main(sys.argv[1])
