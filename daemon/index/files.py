"""The index on disk: generation files plus a manifest that is written last.

``index/`` holds ``hnsw-NNNNNN.bin`` (hnswlib's own format), ``entries-NNNNNN.json``
(store id -> content hash of every vector, and the deleted ids) and
``manifest.json`` naming the current generation with its model, dim, space, ef,
count and checksums. A save writes a new generation beside the old one and
commits it by atomically replacing the manifest, so a crash at any point leaves
the old or the new index, never a mix. Everything here is derived from the
store: a file that fails any check is reported, and the caller rebuilds.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import hnswlib

from panza.daemon.errors import IndexStoreError
from panza.daemon.index.hnsw import SPACE, IndexParams, Snapshot, VectorIndex
from panza.training.atomic import atomic_write_bytes, replace_atomically

FORMAT = 1
MANIFEST = "manifest.json"
_LOCK = ".lock"
_GENERATION_FILE = re.compile(r"^(hnsw|entries)-(\d+)\.(bin|json)$")


@dataclass(frozen=True)
class NotLoaded:
    """Why there is no usable index; ``expected`` when nothing is wrong (there never was one)."""

    reason: str
    expected: bool = False


def save(index: VectorIndex, directory: Path) -> dict[str, Any]:
    """Write ``index`` as a new generation and commit it with the manifest; returns it."""
    try:
        return _save(index, directory)
    except OSError as exc:
        raise IndexStoreError(f"cannot write the index to {directory}: {exc.strerror}") from exc


def _save(index: VectorIndex, directory: Path) -> dict[str, Any]:
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    with _locked(directory, fcntl.LOCK_EX):
        gen = _next_generation(directory)
        index_name, entries_name = f"hnsw-{gen:06d}.bin", f"entries-{gen:06d}.json"
        snaps: list[Snapshot] = []
        replace_atomically(
            directory / index_name, lambda tmp: snaps.append(_write_index(index, tmp, directory))
        )
        snap, size = snaps[0], snaps[0].expected_bytes
        index_sha = _sha256(directory / index_name)
        entries = json.dumps(
            {"live": sorted(snap.live.items()), "deleted": sorted(snap.deleted)},
            separators=(",", ":"),
        ).encode()
        # Each write syncs the folder: both generation files are durable before the manifest.
        atomic_write_bytes(directory / entries_name, entries)
        manifest = {
            "format": FORMAT,
            "generation": gen,
            "model": index.model_id,
            "dim": index.dim,
            "space": SPACE,
            "M": index.params.M,
            "ef_construction": index.params.ef_construction,
            "ef": index.params.ef,
            "count": snap.count,
            "live": len(snap.live),
            "hnswlib": version("hnswlib"),
            "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "files": {
                "index": {"name": index_name, "bytes": size, "sha256": index_sha},
                "entries": {
                    "name": entries_name,
                    "bytes": len(entries),
                    "sha256": hashlib.sha256(entries).hexdigest(),
                },
            },
        }
        atomic_write_bytes(directory / MANIFEST, json.dumps(manifest, indent=2).encode())
        _remove_stale(directory, keep={index_name, entries_name})
    return manifest


def load(
    directory: Path, model_id: str, dim: int | None, params: IndexParams
) -> VectorIndex | NotLoaded:
    """The saved index if every check passes, else why not.

    ``dim`` None: the model is not loaded yet, so the width recorded for ``model_id`` is
    taken as is (the index checks it again before it embeds anything).
    """
    if not (directory / MANIFEST).is_file():
        if any(_GENERATION_FILE.match(p.name) for p in _listing(directory)):
            return NotLoaded("the manifest is missing")
        return NotLoaded("there is no index yet", expected=True)
    try:
        with _locked(directory, fcntl.LOCK_SH):
            manifest = json.loads((directory / MANIFEST).read_bytes())
            return _load_checked(directory, manifest, model_id, dim, params)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return NotLoaded(f"the manifest or entry list is unreadable ({type(exc).__name__})")
    except OSError as exc:
        return NotLoaded(f"the index files cannot be read ({exc.strerror})")


def _load_checked(
    directory: Path, manifest: dict[str, Any], model_id: str, dim: int | None, params: IndexParams
) -> VectorIndex | NotLoaded:
    if manifest["format"] != FORMAT:
        return NotLoaded(f"the index format changed ({manifest['format']} -> {FORMAT})")
    if manifest["model"] != model_id:
        return NotLoaded(f"the embedding model changed ({manifest['model']} -> {model_id})")
    if dim is None:
        dim = int(manifest["dim"])
    if manifest["dim"] != dim or manifest["space"] != SPACE:
        return NotLoaded(
            f"the vectors changed shape ({manifest['space']}/{manifest['dim']} -> {SPACE}/{dim})"
        )
    files = manifest["files"]
    for role in ("index", "entries"):
        problem = _check_file(directory / files[role]["name"], files[role])
        if problem:
            return NotLoaded(f"the {role} file {problem}")
    raw = json.loads((directory / files["entries"]["name"]).read_bytes())
    live = {int(i): str(h) for i, h in raw["live"]}
    deleted = {int(i) for i in raw["deleted"]}
    count = int(manifest["count"])
    if len(live) + len(deleted) != count:
        return NotLoaded(
            f"the entry list holds {len(live) + len(deleted)} ids, the manifest {count}"
        )
    hnsw = hnswlib.Index(space=SPACE, dim=dim)
    try:
        # Safe only because the checksum matched: hnswlib trusts the bytes it reads.
        hnsw.load_index(str(directory / files["index"]["name"]))
    except (RuntimeError, MemoryError) as exc:
        return NotLoaded(f"hnswlib cannot read the index file ({exc})")
    index = VectorIndex(model_id, dim, params, hnsw=hnsw, live=live, deleted=deleted)
    if index.element_count() != count:
        return NotLoaded(f"the index file holds {index.element_count()} vectors, manifest {count}")
    if index.ids_in_file() != live.keys() | deleted:
        return NotLoaded("the ids in the index file differ from the entry list")
    return index


def _check_file(path: Path, expect: dict[str, Any]) -> str | None:
    if not path.is_file():
        return f"{path.name} is missing"
    size = path.stat().st_size
    if size != expect["bytes"]:
        return f"{path.name} is truncated or damaged ({size} bytes, manifest {expect['bytes']})"
    if _sha256(path) != expect["sha256"]:
        return f"{path.name} does not match its checksum in the manifest"
    return None


def _next_generation(directory: Path) -> int:
    gens = [int(m.group(2)) for p in _listing(directory) if (m := _GENERATION_FILE.match(p.name))]
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        gens.append(int(json.loads((directory / MANIFEST).read_bytes())["generation"]))
    return max(gens, default=0) + 1


def _remove_stale(directory: Path, keep: set[str]) -> None:
    """Drop older generations and temp files that a crashed save left behind."""
    for path in _listing(directory):
        stale_gen = _GENERATION_FILE.match(path.name) and path.name not in keep
        if stale_gen or (path.name.startswith(".") and path.name.endswith(".tmp")):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def _listing(directory: Path) -> list[Path]:
    try:
        return list(directory.iterdir())
    except FileNotFoundError:
        return []


@contextlib.contextmanager
def _locked(directory: Path, mode: int) -> Iterator[None]:
    """Serialise saves (and keep loads off half-cleaned dirs) across processes."""
    fd = os.open(directory / _LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, mode)
        yield
    finally:
        os.close(fd)


def _write_index(index: VectorIndex, tmp: Path, directory: Path) -> Snapshot:
    snap = index.save_to(tmp)
    # hnswlib writes through an unchecked ofstream: a full disk leaves a short file.
    size = tmp.stat().st_size
    if size != snap.expected_bytes:
        raise IndexStoreError(
            f"writing the index to {directory} stopped short ({size} of"
            f" {snap.expected_bytes} bytes): is the disk full?"
        )
    return snap


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
