"""The import folder of a real daemon: only complete files, every failure in status (item 3)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from panza.daemon import paths
from panza.daemon.client import Client
from panza.daemon.demo.sample import generate
from panza.daemon.demo.sample.mailbox import to_mbox
from panza.daemon.server.watch import CLOSE_EVENTS
from tests.daemon_process import panza
from tests.server.test_daemon import start, stop, wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not CLOSE_EVENTS, reason="close-write events are Linux (inotify) only"),
]


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Client, Path]]:
    home = tmp_path_factory.mktemp("import") / "home"
    assert panza("init", "--name", "Ada Whitfield", "--email", "ada@whitfield.example",
                 "--email", "ada.whitfield@lab.example", home=home).returncode == 0  # fmt: skip
    proc = start(home)
    client = Client(paths.resolve({"PANZA_HOME": str(home)}).socket_file, timeout=60)
    try:
        yield client, home
    finally:
        client.close()
        assert stop(proc) == 0


def kept(client: Client) -> int:
    return int(client.call("status")["emails"]["kept"])


def folders(home: Path) -> tuple[Path, Path]:
    imports = paths.resolve({"PANZA_HOME": str(home)}).import_dir
    return imports, imports / "done"


def mailbox(seed: int, count: int = 30) -> tuple[bytes, int]:
    messages = generate(count, seed=seed)
    # Message-IDs are numbered alike for every seed: make each file's its own.
    data = to_mbox(messages).replace(b"Message-ID: <sample.", f"Message-ID: <s{seed}.".encode())
    return data, sum(m.keep for m in messages)


def settled(client: Client, check: Callable[[dict[str, Any]], bool], timeout: float = 60) -> None:
    assert wait_for(lambda: check(client.call("status")), timeout), client.call("status")


def test_a_writer_that_pauses_mid_file_gets_the_whole_file_imported(
    daemon: tuple[Client, Path],
) -> None:
    client, home = daemon
    imports, done = folders(home)
    data, expected = mailbox(seed=11)
    before = kept(client)
    with open(imports / "slow.mbox", "wb") as out:  # a mail client copying slowly
        out.write(data[: len(data) // 2])
        out.flush()
        os.fsync(out.fileno())
        time.sleep(2.5)  # longer than any "size stopped changing" window
        assert kept(client) == before, "half a file was imported"
        assert not (done / "slow.mbox").exists()
        out.write(data[len(data) // 2 :])
    settled(client, lambda s: s["emails"]["kept"] == before + expected)
    assert wait_for(lambda: (done / "slow.mbox").exists(), 30)
    assert (done / "slow.mbox").read_bytes() == data  # the whole file, moved only when complete
    assert client.call("status")["import_failures"] == {}


def test_write_then_rename_and_dot_files(daemon: tuple[Client, Path]) -> None:
    client, home = daemon
    imports, done = folders(home)
    data, expected = mailbox(seed=12)
    before = kept(client)
    (imports / "Sent.mbox.part").write_bytes(data)
    (imports / ".hidden.mbox").write_bytes(data)
    time.sleep(3)
    assert kept(client) == before  # neither name is importable
    os.replace(imports / "Sent.mbox.part", imports / "Sent.mbox")
    settled(client, lambda s: s["emails"]["kept"] == before + expected)
    assert wait_for(lambda: (done / "Sent.mbox").exists(), 30)
    assert (imports / ".hidden.mbox").exists()


def test_events_during_an_import_and_back_to_back_files_never_fail(
    daemon: tuple[Client, Path],
) -> None:
    client, home = daemon
    imports, done = folders(home)
    big, big_kept = mailbox(seed=13, count=400)
    small, small_kept = mailbox(seed=14)
    before = kept(client)
    (imports / "big.mbox").write_bytes(big)
    time.sleep(0.8)  # the import has started; the same file is closed again meanwhile
    for _ in range(3):
        # Reopen without creating: once the import has moved the file to done/, opening
        # with "ab" would make a new empty big.mbox, a different (and failing) import.
        try:
            os.close(os.open(imports / "big.mbox", os.O_WRONLY | os.O_APPEND))
        except FileNotFoundError:
            break
        time.sleep(0.2)
    (imports / "small.mbox").write_bytes(small)
    settled(client, lambda s: s["emails"]["kept"] == before + big_kept + small_kept, 120)
    assert wait_for(lambda: (done / "big.mbox").exists() and (done / "small.mbox").exists(), 30)
    status = client.call("status")
    assert status["import_failures"] == {}
    assert status["jobs"]["import"]["last_error"] is None


def test_a_failed_import_is_reported_in_status_and_the_file_stays(
    daemon: tuple[Client, Path],
) -> None:
    client, home = daemon
    imports, _ = folders(home)
    (imports / "broken.mbox").write_bytes(b"this is not a mailbox\n")
    settled(client, lambda s: "broken.mbox" in s["import_failures"])
    message = client.call("status")["import_failures"]["broken.mbox"]
    assert "mbox" in message
    assert (imports / "broken.mbox").exists()
    log = (paths.resolve({"PANZA_HOME": str(home)}).logs_dir / "daemon.log").read_text()
    assert "never retrieved" not in log and "FileNotFoundError" not in log
    assert "Traceback" not in log
