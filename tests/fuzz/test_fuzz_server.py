"""The socket server under random lines in random chunks: one reply per line, no crash."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.conftest import json_values, logged, text_of
from tests.server.test_server import Conn, Harness, request

pytestmark = [pytest.mark.fuzz, pytest.mark.timeout(300)]
SECRET = "SECRET-mail-text"


class PingOnly(Harness):
    """Only ``ping`` answers: a random line that happens to be a valid ``sync`` (which
    Harness makes wait 30 s) or ``status`` (which streams events) must not skew the count."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.server.handlers = {"ping": self.ping}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("fuzz") / "run" / "daemon.sock"
    harness = PingOnly(path)
    yield path
    harness.close()


def _line(value: object) -> bytes:
    return json.dumps(value).encode("utf-8", "surrogatepass").replace(b"\n", b" ")


lines = st.lists(
    st.binary(max_size=80).map(lambda b: b.replace(b"\n", b""))
    | json_values.map(_line)
    | st.builds(lambda i, p: _line({"v": 1, "id": i, "method": "draft", "params": p}),
                st.text(max_size=8), st.just({"instruction": SECRET}) | json_values),
    max_size=8,
)  # fmt: skip


@given(lines, st.lists(st.integers(1, 50), min_size=1, max_size=5))
def test_every_line_gets_one_reply_and_the_connection_survives(
    server: Path, sent: list[bytes], cuts: list[int]
) -> None:
    final = f"final-{uuid.uuid4().hex}"
    data = b"".join(line + b"\n" for line in sent) + json.dumps(request("ping", final)).encode()
    data += b"\n"
    expected = sum(1 for line in sent if line.strip()) + 1
    with logged() as records:
        conn = Conn(server)
        try:
            pos, i = 0, 0
            while pos < len(data):  # the request bytes arrive in arbitrary pieces
                conn.send(data[pos : pos + cuts[i % len(cuts)]])
                pos, i = pos + cuts[i % len(cuts)], i + 1
            replies = [conn.recv() for _ in range(expected)]
        finally:
            conn.close()
    assert all("ok" in r for r in replies)
    assert any(r["id"] == final and r["ok"] for r in replies)
    assert SECRET not in text_of(records)
