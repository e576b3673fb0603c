"""kill -9 between the recorded intent and the APPEND, and between the APPEND and recording
it: the next round leaves exactly one draft (real Dovecot, real writer, a real child process)."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from panza.daemon.demo.sample.dovecot import uids
from panza.daemon.store.autodraft import in_state
from tests.autodraft.conftest import ADA, NOW, Home, message, seed

pytestmark = pytest.mark.integration


def killed_round(home: Home, when: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.autodraft.crash_child", when],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]


@pytest.mark.parametrize(("when", "drafts_after_kill"), [("before", 0), ("after", 1)])
def test_kill_9_leaves_exactly_one_draft(home: Home, when: str, drafts_after_kill: int) -> None:
    admin = home.setup.admin()
    seed(admin, ((message("priya@uni.example", ADA, "Talk", "<p1@uni.example>"), (), NOW - NOW),))

    killed_round(home, when)

    assert len(uids(admin, "Drafts")) == drafts_after_kill
    [intent] = in_state(home.store.conn, ("intent",), "work")
    assert intent.draft_message_id and intent.draft_raw

    home.watcher().run_once()

    [draft_uid] = uids(admin, "Drafts")
    [written] = in_state(home.store.conn, ("written",), "work")
    assert written.draft_message_id == intent.draft_message_id
    assert written.draft_ref is not None and written.draft_ref.endswith(f":{draft_uid}")
    header = admin.fetch([draft_uid], ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])[draft_uid]
    assert intent.draft_message_id.encode() in header[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"]
    assert home.drafted == 0  # the draft written after the restart is the one recorded
    home.watcher().run_once()
    assert len(uids(admin, "Drafts")) == 1
