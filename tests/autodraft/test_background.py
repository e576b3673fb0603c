"""Background drafts come second: an interactive draft pre-empts one within a token's time;
the hourly limit, pause and opt-in hold them (the real writer and Drafting, in-process)."""

from __future__ import annotations

import asyncio
import itertools
import os
import statistics
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from panza.daemon.autodraft.part import Autodraft, hold_reason
from panza.daemon.demo.sample.dovecot import uids
from panza.daemon.protocol import DraftParams, Request
from panza.daemon.server.drafting import Drafting
from panza.daemon.server.jobs import Jobs
from panza.daemon.store.autodraft import in_state
from tests.autodraft.conftest import ADA, NOW, Home, message, seed

pytestmark = pytest.mark.integration

LONG = DraftParams(
    instruction="Write a long update on the project", max_new_tokens=400, temperature=0
)


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """The daemon's event loop, run in a thread as the daemon runs it for its workers."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def interactive(drafting: Drafting, loop: asyncio.AbstractEventLoop) -> tuple[float, list[float]]:
    """An interactive draft: seconds to its first token, and the gaps between its tokens."""
    times: list[float] = []

    async def emit(event: dict[str, Any]) -> None:
        if event.get("event") == "token":
            times.append(time.monotonic())

    params = DraftParams(instruction="Ask Tom about the budget", max_new_tokens=40, temperature=0)
    started = time.monotonic()
    asyncio.run_coroutine_threadsafe(
        drafting.draft(Request(id="i1", method="draft", params=params), emit), loop
    ).result(300)
    return times[0] - started, [b - a for a, b in itertools.pairwise(times)]


def test_an_interactive_draft_starts_within_one_token_of_a_background_one(
    home: Home, loop: asyncio.AbstractEventLoop
) -> None:
    drafting = Drafting(home.service, home.writer, Jobs())
    alone, gaps = interactive(drafting, loop)  # also loads the model
    token = statistics.median(gaps)

    background = asyncio.run_coroutine_threadsafe(drafting.background(LONG, lambda: True), loop)
    while drafting._preempt is None:
        time.sleep(0.005)
    time.sleep(0.2)  # well into its 400 tokens
    during, _ = interactive(drafting, loop)

    assert not background.done()  # it started over, behind the interactive draft
    assert background.result(300) is not None
    # and ran at a lower CPU priority than the daemon's other threads
    base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    niced = drafting._background_pool.submit(
        lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    ).result()
    assert niced == min(19, base + 10)
    drafting.close()
    # Waiting for the background draft to finish would take hundreds of tokens.
    assert during - alone < 3 * token + 0.1, (during, alone, token)


def test_hourly_limit_pause_and_opt_in_hold_background_drafts(
    home: Home, loop: asyncio.AbstractEventLoop
) -> None:
    admin = home.setup.admin()
    seed(
        admin,
        tuple(
            (message("p@uni.example", ADA, f"Q{i}", f"<q{i}@uni.example>"), (), NOW - NOW)
            for i in range(3)
        ),
    )
    drafting = Drafting(home.service, home.writer, Jobs())
    part = Autodraft(home.service, drafting, loop)
    config = home.service.config
    home.service.config = config.model_copy(
        update={"autodraft": config.autodraft.model_copy(update={"per_hour": 2})}
    )
    store = home.store
    draft = part.draft_fn("work")

    home.service.paused = True
    assert home.watcher(draft).run_once() is True  # held: messages wait
    assert uids(admin, "Drafts") == [] and len(in_state(store.conn, ("pending",), "work")) == 3
    assert hold_reason(store, home.service.config, "work", True) == "paused"

    home.service.paused = False
    home.watcher(draft).run_once()
    assert len(uids(admin, "Drafts")) == 2  # the hourly limit
    assert hold_reason(store, home.service.config, "work", False) == "hourly_limit"
    assert len(in_state(store.conn, ("pending",), "work")) == 1

    off = home.service.config.model_copy(deep=True)
    off.accounts["work"].autodraft = False
    off.autodraft.per_hour = 10
    home.service.config = off
    assert hold_reason(store, off, "work", False) == "off"
    home.watcher(draft).run_once()
    assert len(uids(admin, "Drafts")) == 2  # turned off: nothing more

    on = off.model_copy(deep=True)
    on.accounts["work"].autodraft = True
    home.service.config = on
    home.watcher(draft).run_once()
    assert len(uids(admin, "Drafts")) == 3 and not in_state(store.conn, ("pending",), "work")
