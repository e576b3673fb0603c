"""Autodraft without IDLE, against a real Dovecot over TLS: a new message waits for the next poll.

The watcher's connection hides IDLE from the server's capabilities (as a server
without IDLE advertises them), so the watcher falls back to polling on the sync
schedule. The test stands in for the clock: the watcher's wait between polls
ends when the test says the poll interval is over, and the test checks that the
new message gets its draft on that poll and not before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from imapclient import IMAPClient

from panza.daemon.autodraft.imap_watch import ImapWatcher
from panza.daemon.demo.sample.dovecot import uids
from panza.daemon.sources.imap.conn import ImapSettings, open_session
from tests.autodraft.conftest import ADA, Home, message
from tests.autodraft.test_imap import by_reply_to, drafts

pytestmark = pytest.mark.integration

SYNC_MINUTES = 7  # the poll interval the watcher must ask to wait for


def without_idle(settings: ImapSettings) -> IMAPClient:
    """A real session whose server, as far as the watcher can tell, does not offer IDLE."""
    client = open_session(settings)
    offered = client.has_capability

    def has_capability(capability: str) -> bool:
        return capability.upper() != "IDLE" and offered(capability)

    vars(client)["has_capability"] = has_capability  # this instance only
    return client


class PollingWatcher(ImapWatcher):
    """The real watcher; its wait between polls lasts until the test ends the interval."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, connect=without_idle, **kwargs)
        self.waits: list[float] = []  # the timeout of each wait between polls
        self.waiting = threading.Event()  # set by the watcher when it starts to wait
        self.interval_over = threading.Event()  # set by the test: the next poll is due

    def sleep(self, timeout: float) -> None:
        self.waits.append(timeout)
        self.waiting.set()
        while not (self.interval_over.is_set() or self.stopping.is_set()):
            self.interval_over.wait(0.1)
        self.interval_over.clear()

    def next_poll(self, timeout: float = 120.0) -> None:
        """End the current wait and return once the poll that follows is done."""
        assert self.waiting.is_set()
        self.waiting.clear()
        self.interval_over.set()
        wait_until(self.waiting.is_set, timeout)


def wait_until(check: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def watcher(home: Home) -> Iterator[PollingWatcher]:
    config = home.config
    schedule = config.schedule.model_copy(update={"sync_minutes": SYNC_MINUTES})
    polled = config.model_copy(update={"schedule": schedule})
    made = PollingWatcher("work", home.store, lambda: polled, home.draft)
    made.start()
    try:
        yield made
    finally:
        made.stop()
    assert made.error is None


def test_without_idle_a_new_message_is_drafted_on_the_next_poll_not_before(
    home: Home, watcher: PollingWatcher
) -> None:
    admin = home.setup.admin()
    assert b"IDLE" in admin.capabilities()  # Dovecot offers it; the watcher is not told
    wait_until(watcher.waiting.is_set)  # the first poll scanned the (empty) inbox
    assert watcher.waits == [SYNC_MINUTES * 60.0]  # polling on the sync schedule, not IDLE

    admin.append("INBOX", message("priya@uni.example", ADA, "Talk", "<p1@uni.example>"))
    time.sleep(3)  # IDLE would have woken the watcher by now
    assert uids(admin, "Drafts") == [] and home.drafted == 0
    assert len(watcher.waits) == 1 and watcher.waiting.is_set()

    watcher.next_poll()

    made = by_reply_to(drafts(admin))
    assert list(made) == ["<p1@uni.example>"] and home.drafted == 1
    assert made["<p1@uni.example>"]["Subject"] == "Re: Talk"
    assert watcher.waits == [SYNC_MINUTES * 60.0] * 2

    watcher.next_poll()  # a poll with nothing new writes nothing more
    assert len(uids(admin, "Drafts")) == 1 and home.drafted == 1
