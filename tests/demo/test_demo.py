"""`make demo`'s steps, end to end, on the tiny test model (the full demo is not a test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from panza.daemon.demo.run import run
from panza.daemon.demo.sample import dovecot

pytestmark = pytest.mark.integration

SMALL = {
    "epochs": 2,
    "batch_size": 4,
    "micro_batch_size": 4,
    "learning_rate": 0.01,
    "max_length": 512,
    "rag_share": 0.0,
}


def test_demo_steps(tmp_path: Path, tiny_base: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "demo"
    home.mkdir()
    result = run(home, str(tiny_base), real=True, count=40, training=SMALL)
    out = capsys.readouterr().out
    assert result["adapter_version"] == 1 and isinstance(result["text"], str)
    assert result["timings"]["first_token_s"] is not None
    for step in (
        "Configure Panza",
        "Mail in",
        "Data playback",
        "Index the emails",
        "Train a RoSA adapter",
        "draft through the native messaging host",
    ):
        assert step in out
    if dovecot.dovecot_binary() is not None:
        assert "Serving the mailbox from a local Dovecot IMAP server" in out
        assert "new kept" in out
    else:
        assert "importing the mailbox file instead" in out
    assert "v0001 accepted" in out
    assert "Adapter: v0001" in out and "Timings: first token after" in out
