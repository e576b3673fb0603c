"""Model fixtures shared by the test folders that train or draft (imported by their
conftest.py): a tiny Llama and its tokenizer, built once per session from test text (no
downloads), a configured home, a trained home, and one torch thread."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from panza.daemon import paths
from panza.daemon.store import Store
from panza.training.demo_corpus import documents
from panza.training.demo_model import TINY, build
from panza.training.model import ModelSpec, load_tokenizer
from panza.training.prompt import Profile
from tests.corpus import EMAILS

PROFILE = Profile(name="David", signature="David", facts="I run a research lab in Vienna.")


@pytest.fixture(scope="package", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """Tiny models gain nothing from threads; on a shared 2-core box OpenMP spin-waits make
    them much slower. Children started by the tests read PANZA_TORCH_THREADS."""
    before = torch.get_num_threads()
    old_env = os.environ.get("PANZA_TORCH_THREADS")
    torch.set_num_threads(1)
    os.environ["PANZA_TORCH_THREADS"] = "1"
    yield
    torch.set_num_threads(before)
    if old_env is None:
        os.environ.pop("PANZA_TORCH_THREADS", None)
    else:
        os.environ["PANZA_TORCH_THREADS"] = old_env


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 32-wide Llama (random weights) with a BPE tokenizer trained on test text."""
    texts = [f"{s}\n{t}\n{i}" for s, t, i in EMAILS] + list(documents(150, seed=1))
    return build(tmp_path_factory.mktemp("models") / "tiny-llama", TINY, texts=texts)


@pytest.fixture(scope="session")
def tokenizer(tiny_base: Path) -> Any:
    return load_tokenizer(ModelSpec(str(tiny_base)))


def write_config(home: Path, base: Path, **training: Any) -> None:
    """A config for the tiny model: subject playback, small fast training runs."""
    settings = {
        "epochs": 2,
        "full_epochs": 2,
        "batch_size": 4,
        "micro_batch_size": 4,
        "learning_rate": 0.01,
        "max_length": 256,
        "rag_share": 0.0,
        "playback_batch_size": 2,
        **training,
    }
    lines = "\n".join(f"{k} = {json.dumps(v)}" for k, v in settings.items())
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'[user]\nname = "David"\nemails = ["david@example.org"]\n\n'
        f'[model]\nbase = {json.dumps(str(base))}\nplayback = "subject"\n\n'
        f"[training]\n{lines}\n",
        encoding="utf-8",
    )


@pytest.fixture
def learn_home(panza_home: Path, tiny_base: Path) -> Path:
    write_config(panza_home, tiny_base)
    return panza_home


@pytest.fixture
def store(learn_home: Path) -> Iterator[Store]:
    with Store(paths.resolve().db_file) as s:
        yield s


@pytest.fixture(scope="module")
def trained(tiny_base: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One home with adapter v0001 for a whole module (a training run is the slow part)."""
    home = tmp_path_factory.mktemp("trained") / "panza-home"
    write_config(home, tiny_base)
    return train_first_version(home)


def train_first_version(home: Path) -> Path:
    """Store 12 of the corpus emails in the configured `home` and train its v0001 there."""
    from panza.daemon.cli import main
    from tests.corpus import add_emails

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PANZA_HOME", str(home))
        with Store(paths.resolve().db_file) as store:
            add_emails(store, EMAILS[:12])
        assert main(["train"]) == 0
    return home
