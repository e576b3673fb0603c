"""Versioned adapters: `adapters/vNNNN/` folders that are complete or absent, their manifest,
what an incremental run trains on, and whether a new version may become current.

A version is built in a hidden staging folder (`.vNNNN.partial-PID`) and renamed into
place only once its weights and manifest are on disk, so a killed run leaves at most a
hidden folder that the next run removes, never a half-written `vNNNN`.

Incremental: a version records every example id it has been trained on (`seen_ids`).
The next run continues from it on the ids it has not seen, plus a replay sample of
`replay_ratio` old ids per new one, for the same number of epochs; so its step count is
proportionate to the new mail, not to the whole mailbox.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from panza.training.atomic import fsync_path
from panza.training.errors import VersionError
from panza.training.manifest import Manifest

MANIFEST = "panza_version.json"
FORMAT = 1
_NAME = re.compile(r"^v(\d{4,})$")
_STAGING = re.compile(r"^\.v\d{4,}\.partial-(\d+)$")


def version_name(version: int) -> str:
    return f"v{version:04d}"


def list_versions(root: Path) -> list[int]:
    """Published versions under `root` (folders named vNNNN), ascending."""
    if not root.is_dir():
        return []
    found = (_NAME.match(p.name) for p in root.iterdir() if p.is_dir())
    return sorted(int(m.group(1)) for m in found if m)


def next_version(root: Path, known: Iterable[int] = ()) -> int:
    """One more than any version on disk or known elsewhere (the store)."""
    return max([0, *list_versions(root), *known]) + 1


def staging_dir(root: Path, version: int) -> Path:
    path = root / f".{version_name(version)}.partial-{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def remove_stale_staging(root: Path) -> list[str]:
    """Delete staging folders left by runs that no longer exist (killed); returns their names."""
    removed = []
    for p in root.iterdir() if root.is_dir() else ():
        m = _STAGING.match(p.name)
        if m and not _alive(int(m.group(1))):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p.name)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # our own leftover from an earlier attempt in this process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def publish(staging: Path, final: Path) -> None:
    """fsync everything in `staging`, then rename it to `final` (which must not exist)."""
    for path in sorted(staging.rglob("*")):
        if path.is_file():
            fsync_path(path)
    fsync_path(staging)
    if final.exists():
        raise VersionError(f"{final} already exists; versions are never overwritten")
    os.rename(staging, final)
    fsync_path(final.parent)


def write_manifest(folder: Path, manifest: Manifest) -> None:
    text = json.dumps({"format": FORMAT, **manifest.to_json()}, indent=2, sort_keys=True) + "\n"
    (folder / MANIFEST).write_text(text, encoding="utf-8")


def read_manifest(folder: Path) -> Manifest:
    """The manifest of a published version folder."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VersionError(f"{folder} is not an adapter version (no {MANIFEST})") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise VersionError(f"cannot read {folder / MANIFEST}: {exc}") from None
    if not isinstance(data, dict):
        raise VersionError(f"{folder / MANIFEST} is not a JSON object")
    if int(data.get("format", 0)) > FORMAT:
        raise VersionError(f"{folder} was written by a newer panza; upgrade to read it")
    return Manifest.from_json(data, str(folder / MANIFEST))


def heldout_summary(
    per_example: Mapping[str, Sequence[float]], keys: Iterable[str]
) -> dict[str, Any]:
    """Token-weighted mean loss and perplexity over `keys` (each [loss_sum, tokens])."""
    total = tokens = 0.0
    count = 0
    for key in keys:
        loss, n = per_example[key]
        total, tokens, count = total + loss, tokens + n, count + 1
    if tokens == 0:
        return {"loss": None, "perplexity": None, "tokens": 0, "examples": 0}
    mean = total / tokens
    return {
        "loss": round(mean, 6),
        "perplexity": round(math.exp(min(mean, 50.0)), 4),
        "tokens": int(tokens),
        "examples": count,
    }


Mode = Literal["full", "incremental"]


@dataclass(frozen=True)
class RunPlan:
    """What one run trains on and what it continues from."""

    mode: Mode
    why: str
    new_ids: list[str]
    replay_ids: list[str]
    seen_ids: list[str]

    @property
    def train_ids(self) -> list[str]:
        return [*self.new_ids, *self.replay_ids]


def plan_run(
    train_ids: Sequence[str],
    parent: Manifest | None,
    *,
    base_model: str,
    method: str,
    full_retrain: bool,
    replay_ratio: float,
    seed: int,
) -> RunPlan:
    """Full run on everything, or an incremental one on new ids plus a replay sample."""
    everything = list(dict.fromkeys(train_ids))
    why = None
    if parent is None:
        why = "first run"
    elif full_retrain:
        why = "full retrain asked for"
    elif parent.base_model != base_model:
        why = f"base model changed from {parent.base_model!r}"
    elif parent.method != method:
        why = f"method changed from {parent.method!r}"
    if why is not None:
        return RunPlan("full", why, everything, [], everything)
    assert parent is not None
    seen = set(parent.seen_ids)
    new = [i for i in everything if i not in seen]
    old = [i for i in everything if i in seen]
    replay = replay_sample(old, round(replay_ratio * len(new)), seed) if new else []
    still_seen = [i for i in parent.seen_ids if i in set(everything)]
    return RunPlan("incremental", f"{len(new)} new emails", new, replay, [*still_seen, *new])


def replay_sample(old: Sequence[str], count: int, seed: int) -> list[str]:
    """`count` ids drawn without replacement from `old` (all of them if fewer)."""
    if count >= len(old):
        return list(old)
    return random.Random(seed).sample(list(old), count)


def decide(
    new: float | None, current: float | None, tolerance: float, current_name: str
) -> tuple[bool, str]:
    """Accept unless held-out loss got worse than the current model's by more than
    `tolerance` (relative); the reason says which figures decided."""
    if new is None or current is None:
        return True, "no held-out emails to compare on; accepted unchecked"
    change = (new - current) / current if current > 0 else 0.0
    if new <= current * (1 + tolerance):
        return True, (
            f"held-out loss {new:.4f} vs {current:.4f} for {current_name} ({change:+.1%})"
        )
    return False, (
        f"held-out loss {new:.4f} is {change:.1%} worse than {current_name}'s {current:.4f}"
        f" (tolerance {tolerance:.0%})"
    )
