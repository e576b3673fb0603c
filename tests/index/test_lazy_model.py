"""The embedding model loads only when something must be embedded (issue 15, item 9)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import torch

from panza.daemon import paths
from panza.daemon.cli import main
from panza.daemon.config.edit import set_values
from panza.daemon.index import DEFAULT_MODEL, EmailIndex, SentenceEmbedder
from panza.daemon.index.embedder import resolve_model
from panza.daemon.store import Store
from tests.daemon_process import panza
from tests.index.corpus import CORPUS, add_emails, filler


def test_an_up_to_date_index_updates_without_loading_the_model(
    store: Store, built: EmailIndex, index_dir: Path
) -> None:
    fresh = SentenceEmbedder(resolve_model(DEFAULT_MODEL, allow_download=False))
    index = EmailIndex(index_dir, fresh)
    report = index.update(store.conn)
    assert (report.embedded, report.removed, report.rebuilt) == (0, 0, None)
    assert not fresh.loaded
    assert len(index) == len(built)
    add_emails(store, filler(1))  # now there is something to embed: the model loads
    assert index.update(store.conn).embedded == 1
    assert fresh.loaded and fresh.dim == built.vectors.dim


@pytest.mark.integration
@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine where cuda cannot load")
def test_panza_index_with_nothing_to_do_never_touches_the_model(panza_home: Path) -> None:
    """A real `panza index` process; the config names a device the model cannot load on, so
    any model load fails the command: the no-op must succeed, the next real update fail."""
    assert main(["init", "--name", "Ada Whitfield", "--email", "ada@whitfield.example"]) == 0
    with Store(paths.resolve().db_file) as store:
        add_emails(store, CORPUS)
    assert main(["index"]) == 0
    set_values(paths.resolve().config_file, {("model", "device"): "cuda"})
    started = time.monotonic()
    noop = panza("index", home=panza_home)
    took = time.monotonic() - started
    assert noop.returncode == 0, noop.stderr
    assert "Embedded 0, removed 0" in noop.stdout
    assert f"Index: {len(CORPUS)} emails" in noop.stdout
    print(f"no-op `panza index` took {took:.2f} s (process start included)")
    with Store(paths.resolve().db_file) as store:
        add_emails(store, filler(1))
    real = panza("index", home=panza_home)
    assert real.returncode != 0 and "cannot load embedding model" in real.stderr
