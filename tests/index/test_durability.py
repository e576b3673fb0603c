"""A damaged, missing or outdated index is rebuilt from the store, saying why."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from panza.daemon.errors import IndexStoreError
from panza.daemon.index import EmailIndex, VectorIndex, refresh
from panza.daemon.index.hnsw import Snapshot
from panza.daemon.store import Store
from tests.index.corpus import CORPUS, CountingEmbedder, add_emails


def _manifest(index_dir: Path) -> dict[str, object]:
    return dict(json.loads((index_dir / "manifest.json").read_text()))


def _file(index_dir: Path, role: str) -> Path:
    files = _manifest(index_dir)["files"]
    assert isinstance(files, dict)
    return index_dir / str(files[role]["name"])


def _truncate(index_dir: Path) -> None:
    path = _file(index_dir, "index")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip_byte(index_dir: Path) -> None:
    path = _file(index_dir, "index")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x40
    path.write_bytes(bytes(data))


def _delete_manifest(index_dir: Path) -> None:
    (index_dir / "manifest.json").unlink()


def _delete_entries(index_dir: Path) -> None:
    _file(index_dir, "entries").unlink()


def _wrong_count(index_dir: Path) -> None:
    manifest = _manifest(index_dir)
    manifest["count"] = 11
    (index_dir / "manifest.json").write_text(json.dumps(manifest))


def _garbage_manifest(index_dir: Path) -> None:
    (index_dir / "manifest.json").write_bytes(b"\x00\x01{not json")


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (_truncate, "truncated"),
        (_flip_byte, "does not match its checksum"),
        (_delete_manifest, "the manifest is missing"),
        (_delete_entries, "the entries file"),
        (_wrong_count, "the manifest 11"),
        (_garbage_manifest, "unreadable"),
    ],
)
def test_damaged_index_is_rebuilt_with_a_logged_reason(
    store: Store,
    built: EmailIndex,
    index_dir: Path,
    counting: CountingEmbedder,
    caplog: pytest.LogCaptureFixture,
    damage: Callable[[Path], None],
    reason: str,
) -> None:
    damage(index_dir)
    fresh = CountingEmbedder(counting.inner)
    with caplog.at_level(logging.WARNING, logger="panza.daemon.index"):
        index = EmailIndex(index_dir, fresh)
    why = index.rebuild_reason
    assert why is not None and reason in why
    assert any(
        "building from the store" in r.getMessage() and reason in r.getMessage()
        for r in caplog.records
    )
    report = index.update(store.conn)
    assert report.rebuilt == why
    assert (report.embedded, fresh.items, len(index)) == (len(CORPUS),) * 3
    # The rebuilt index is whole again: it loads without a rebuild.
    assert EmailIndex(index_dir, counting).rebuild_reason is None


def test_model_change_rebuilds_everything(
    store: Store, built: EmailIndex, index_dir: Path, counting: CountingEmbedder
) -> None:
    other = CountingEmbedder(counting.inner, claimed_id="acme/other-embedder")
    index = EmailIndex(index_dir, other)
    assert index.rebuild_reason == (
        "the embedding model changed (sentence-transformers/all-MiniLM-L6-v2 ->"
        " acme/other-embedder)"
    )
    assert index.update(store.conn).embedded == len(CORPUS)
    assert other.items == len(CORPUS)
    assert _manifest(index_dir)["model"] == "acme/other-embedder"


def test_crash_before_the_manifest_keeps_the_previous_index(
    store: Store, built: EmailIndex, index_dir: Path, counting: CountingEmbedder
) -> None:
    # A save that died after writing its files but before committing the manifest.
    (index_dir / "hnsw-000099.bin").write_bytes(b"half a file")
    (index_dir / ".hnsw-000100.bin.123.tmp").write_bytes(b"")
    index = EmailIndex(index_dir, counting)
    assert index.rebuild_reason is None
    assert len(index) == len(CORPUS)
    index.save()
    names = sorted(p.name for p in index_dir.iterdir())
    assert names == [".lock", "entries-000100.json", "hnsw-000100.bin", "manifest.json"]


def test_short_write_fails_loudly_and_keeps_the_previous_index(
    store: Store,
    built: EmailIndex,
    index_dir: Path,
    counting: CountingEmbedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = VectorIndex.save_to

    def disk_full(self: VectorIndex, path: Path) -> Snapshot:
        snap = real(self, path)
        path.write_bytes(path.read_bytes()[:100])  # what an unchecked ofstream leaves
        return snap

    monkeypatch.setattr(VectorIndex, "save_to", disk_full)
    with pytest.raises(IndexStoreError, match="is the disk full"):
        built.save()
    monkeypatch.undo()
    assert not [p for p in index_dir.iterdir() if p.name.endswith(".tmp")]
    assert EmailIndex(index_dir, counting).rebuild_reason is None


def test_logs_never_contain_mail_text(
    store: Store,
    corpus_ids: list[int],
    index_dir: Path,
    counting: CountingEmbedder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        EmailIndex(index_dir, counting).update(store.conn)
        _flip_byte(index_dir)
        EmailIndex(index_dir, counting).update(store.conn)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "building from the store" in logged
    for subject, text in CORPUS:
        assert subject not in logged
        assert text[:30] not in logged
    assert "example.org" not in logged


def test_an_interrupted_first_build_resumes_where_it_stopped(
    store: Store,
    index_dir: Path,
    counting: CountingEmbedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_emails(store, CORPUS)
    monkeypatch.setattr(refresh, "EMBED_BATCH", 4)
    monkeypatch.setattr(refresh, "CHECKPOINT_SECONDS", 0.0)  # checkpoint after every batch
    counting.interrupt_after = 8  # Ctrl-C during the third batch of four
    index = EmailIndex(index_dir, counting)
    with pytest.raises(KeyboardInterrupt):
        index.update(store.conn)

    resumed = CountingEmbedder(counting.inner)
    again = EmailIndex(index_dir, resumed)
    assert again.rebuild_reason is None
    assert again.update(store.conn).embedded == len(CORPUS) - 8
    assert resumed.items == len(CORPUS) - 8
