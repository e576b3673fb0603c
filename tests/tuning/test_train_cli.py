"""`panza playback`, `panza train` and `panza eval` on a tiny config, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from panza.daemon import paths
from panza.daemon.cli import main
from panza.daemon.store import Store
from panza.daemon.store.state import current_adapter
from tests.corpus import EMAILS, add_emails
from tests.model_fixtures import write_config


def test_playback_train_retrain_and_eval(
    learn_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(paths.resolve().db_file) as store:
        add_emails(store, EMAILS[:12])  # 9 train, 3 test
    assert main(["playback"]) == 0
    assert capsys.readouterr().out == "Playback with subject: 12 instructions written, 0 failed\n"

    assert main(["train", "--skip-playback"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("v0001 accepted and now current: held-out loss")
    assert "rosa full run (first run): 9 new + 0 replayed emails, 5 steps" in out[1]

    assert main(["train"]) == 0
    out = capsys.readouterr().out
    assert "every email already has an instruction" not in out  # playback ran quietly
    assert out.endswith(
        "Nothing to train: the current adapter has seen every email"
        " (use --full-retrain to start over)\n"
    )

    with Store(paths.resolve().db_file) as store:
        add_emails(store, EMAILS[12:16])  # 3 more train, 1 more test
    assert main(["train"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Playback with subject: 4 instructions written, 0 failed"
    assert "rosa incremental run (3 new emails): 3 new + 2 replayed emails" in out[2]
    with Store(paths.resolve().db_file) as store:
        assert current_adapter(store.conn) in (1, 2)

    assert (
        main(["eval", "--json", "--limit", "2", "--max-new-tokens", "8", "--versions", "all"]) == 0
    )
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["status"] == "base" and [r["version"] for r in rows] == [None, 1, 2]
    assert all(r["loss"] > 0 and r["perplexity"] > 1 and r["drafts"] == 2 for r in rows)
    assert all(0 <= r["bleu"] <= 1 and 0 <= r["rouge_l"] <= 1 for r in rows)
    assert rows[2]["email_count"] == 12

    assert main(["eval", "--no-drafts"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == [
        "model",
        "status",
        "emails",
        "loss",
        "ppl",
        "BLEU",
        "ROUGE-L",
        "BLEU+RAG",
        "ROUGE-L+RAG",
    ]
    assert table[1].split()[:2] == ["base", "base"] and len(table) >= 3


def test_missing_base_model_is_one_line_and_exit_code_2(
    learn_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(learn_home, Path("panza-tests/no-such-model"))
    text = (
        (learn_home / "config.toml")
        .read_text()
        .replace(json.dumps(str(Path("panza-tests/no-such-model"))), '"panza-tests/no-such-model"')
    )
    (learn_home / "config.toml").write_text(text)
    with Store(paths.resolve().db_file) as store:
        add_emails(store, EMAILS[:4])
    assert main(["train"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err == (
        "panza: error: model 'panza-tests/no-such-model' is not on this machine and downloads"
        " are off: set model.allow_download = true (once), or point the model at a local folder"
    )


def test_init_writes_the_suggested_base_model(
    panza_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from panza.daemon.config import load_config
    from panza.training.model import suggest_base_model

    assert main(["init", "--name", "David", "--email", "david@example.org"]) == 0
    out, err = capsys.readouterr()
    suggestion = suggest_base_model()
    assert out.startswith("Wrote ") and f"Base model: {suggestion.model} (" in err
    assert load_config(paths.resolve().config_file).model.base == suggestion.model
