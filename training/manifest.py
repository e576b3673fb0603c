"""The manifest of an adapter version (`adapters/vNNNN/panza_version.json`), typed.

The JSON keys are those every published version already carries; a key missing from an
older folder takes its default here, so folders on users' disks keep loading.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from panza.training.errors import VersionError


@dataclass(frozen=True)
class Heldout:
    """Token-weighted held-out loss over the test emails; `per_example` is [loss_sum, tokens]
    per encoded email key, cached so that the next run evaluates only new test emails."""

    loss: float | None = None
    perplexity: float | None = None
    tokens: int = 0
    examples: int = 0
    per_example: Mapping[str, list[float]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The figures without the per-email cache (for results and the store)."""
        return {
            "loss": self.loss,
            "perplexity": self.perplexity,
            "tokens": self.tokens,
            "examples": self.examples,
        }

    @classmethod
    def from_json(cls, data: Any) -> Heldout:
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise VersionError(f"held-out figures must be an object, not {data!r}")
        return cls(
            loss=data.get("loss"),
            perplexity=data.get("perplexity"),
            tokens=int(data.get("tokens", 0)),
            examples=int(data.get("examples", 0)),
            per_example={str(k): list(v) for k, v in dict(data.get("per_example", {})).items()},
        )


@dataclass(frozen=True)
class Manifest:
    """What a version is: base, method, settings, data it saw, figures and the decision."""

    version: int
    name: str
    base_model: str
    method: str
    accepted: bool
    parent: int | None = None
    compared_with: str = "base"
    # As recorded for people (Hyper.to_json); code never reads it back.
    hyperparameters: Mapping[str, Any] = field(default_factory=dict)
    mode: str = "full"
    why: str = ""
    email_count: int = 0
    cutoff_date: str | None = None
    seen_ids: list[str] = field(default_factory=list)
    new_ids: list[str] = field(default_factory=list)
    replay_ids: list[str] = field(default_factory=list)
    skipped_ids: list[str] = field(default_factory=list)
    steps: int = 0
    train_tokens: int = 0
    train_seconds: float = 0.0
    final_loss: float | None = None
    heldout: Heldout = field(default_factory=Heldout)
    compared_heldout: Heldout = field(default_factory=Heldout)
    reason: str = ""
    created_at: str = ""
    panza_version: str = ""
    torch_version: str = ""
    job_seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["hyperparameters"] = dict(self.hyperparameters)
        return data

    @classmethod
    def from_json(cls, data: Any, where: str = "manifest") -> Manifest:
        """Parse a manifest; raise VersionError saying which field is wrong."""
        if not isinstance(data, dict):
            raise VersionError(f"{where} is not a JSON object")
        names = {f.name for f in dataclasses.fields(cls)}
        known = {k: v for k, v in data.items() if k in names}
        try:
            known["heldout"] = Heldout.from_json(data.get("heldout"))
            known["compared_heldout"] = Heldout.from_json(data.get("compared_heldout"))
            manifest = cls(**known)
        except (TypeError, ValueError) as exc:
            raise VersionError(f"{where} is malformed: {exc}") from None
        _check_types(manifest, where)
        return manifest


def _check_types(manifest: Manifest, where: str) -> None:
    """The fields code relies on have the types it expects (JSON cannot promise them)."""
    checks = {
        "version": isinstance(manifest.version, int),
        "name": isinstance(manifest.name, str),
        "base_model": isinstance(manifest.base_model, str),
        "method": isinstance(manifest.method, str),
        "accepted": isinstance(manifest.accepted, bool),
        "parent": manifest.parent is None or isinstance(manifest.parent, int),
        "seen_ids": isinstance(manifest.seen_ids, list),
    }
    wrong = [name for name, ok in checks.items() if not ok]
    if wrong:
        raise VersionError(f"{where} is malformed: wrong type for {', '.join(wrong)}")
