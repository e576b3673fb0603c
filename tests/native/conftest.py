"""A real daemon in a temp PANZA_HOME and the real host process driven over its pipes."""

from __future__ import annotations

import json
import os
import select
import struct
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from panza.daemon import paths
from panza.native_host.ids import CHROME_EXTENSION_ID, chrome_origin
from tests.daemon_process import stop_daemon, wait_until_answers

CHROME_CALLER = chrome_origin(CHROME_EXTENSION_ID)
HEADER = struct.Struct("<I")  # native order on every platform these tests run on
MiB = 1 << 20


# --- the daemon (as in tests/server/test_daemon.py) ------------------------------------
def start_daemon(home: Path, env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
    full_env = {**os.environ, **(env or {}), "PANZA_HOME": str(home)}
    log = home.parent / f"{home.name}-daemon.stderr"
    with open(log, "ab") as err:  # a file, not a pipe: nobody drains it during the test
        proc = subprocess.Popen(
            [sys.executable, "-m", "panza.daemon.cli", "daemon"],
            env=full_env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    return wait_until_answers(proc, home, lambda: log.read_text(errors="replace"))


def init_home(home: Path, *emails: str, name: str = "Ada Whitfield") -> Path:
    args = [sys.executable, "-m", "panza.daemon.cli", "init", "--name", name]
    for email in emails or ("ada@whitfield.example",):
        args += ["--email", email]
    env = {**os.environ, "PANZA_HOME": str(home)}
    subprocess.run(args, env=env, check=True, capture_output=True)
    return home


@pytest.fixture(scope="session")
def starter_config(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """``panza init``'s config, made once (the command takes seconds)."""
    made = init_home(tmp_path_factory.mktemp("template") / "panza")
    return paths.resolve({"PANZA_HOME": str(made)}).config_file.read_bytes()


@pytest.fixture
def home(tmp_path: Path, starter_config: bytes) -> Path:
    home = tmp_path / "panza"
    config = paths.resolve({"PANZA_HOME": str(home)}).config_file
    config.parent.mkdir(parents=True)
    config.write_bytes(starter_config)
    return home


@pytest.fixture
def daemon(home: Path) -> Iterator[subprocess.Popen[bytes]]:
    proc = start_daemon(home)
    try:
        yield proc
    finally:
        assert stop_daemon(proc) == 0


# --- frames ------------------------------------------------------------------------
def frame(message: Any) -> bytes:
    payload = json.dumps(message).encode()
    return HEADER.pack(len(payload)) + payload


class Host:
    """``python -m panza.native_host CALLER...`` with frames in and out, as a browser does it."""

    def __init__(
        self,
        panza_home: Path,
        caller: Sequence[str] = (CHROME_CALLER,),
        module: str = "panza.native_host",
        **env: str,
    ) -> None:
        full_env = {**os.environ, "PANZA_HOME": str(panza_home), **env}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module, *caller],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=full_env,
        )
        self.sizes: list[int] = []  # payload size of every frame read
        self.err_text = ""

    def write(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message: Any) -> None:
        self.write(frame(message))

    def _read(self, size: int, deadline: float) -> bytes:
        assert self.proc.stdout is not None
        fd, data = self.proc.stdout.fileno(), b""
        while len(data) < size:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise AssertionError(f"no frame from the host (got {data[:200]!r})")
            chunk = os.read(fd, size - len(data))
            if not chunk:
                raise EOFError("the host closed stdout")
            data += chunk
        return data

    def read(self, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        (size,) = HEADER.unpack(self._read(HEADER.size, deadline))
        self.sizes.append(size)
        message = json.loads(self._read(size, deadline))
        assert isinstance(message, dict)
        return message

    def until_reply(self, request_id: str, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Every frame up to and including the reply for ``request_id``."""
        got = []
        deadline = time.monotonic() + timeout
        while True:
            message = self.read(max(0.1, deadline - time.monotonic()))
            got.append(message)
            if message.get("id") == request_id and "ok" in message:
                return got

    def close(self, timeout: float = 10.0) -> int:
        """Close stdin (as the browser does) and return the exit status."""
        assert self.proc.stdin is not None
        if not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            code = self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            if self.proc.stderr is not None and not self.proc.stderr.closed:
                self.err_text = self.proc.stderr.read().decode("utf-8", "replace")
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()
        return code

    def stderr(self) -> str:
        """What the host wrote to stderr (after :meth:`close`)."""
        return self.err_text


@pytest.fixture
def host_factory() -> Iterator[Any]:
    made: list[Host] = []

    def make(
        panza_home: Path,
        caller: Sequence[str] = (CHROME_CALLER,),
        module: str = "panza.native_host",
        **env: str,
    ) -> Host:
        h = Host(panza_home, caller, module, **env)
        made.append(h)
        return h

    yield make
    for h in made:
        if h.proc.poll() is None or not (h.proc.stdout and h.proc.stdout.closed):
            h.close()


def request(request_id: str, method: str, **params: Any) -> dict[str, Any]:
    return {"v": 1, "id": request_id, "method": method, "params": params}
