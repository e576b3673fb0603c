"""The playback job, its per-batch event and its result, typed (torch-free).

Same JSON as the daemon and the child always exchanged; parsed here once, and malformed
input raises JobError naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from panza.training.errors import JobError
from panza.training.job_files import model_json, parse_model
from panza.training.model import ModelSpec
from panza.training.playback import PlaybackItem, PlaybackResult


@dataclass(frozen=True)
class PlaybackJob:
    """Emails to turn into instructions, `batch_size` at a time, with `model`."""

    model: ModelSpec
    items: tuple[PlaybackItem, ...]
    batch_size: int = 8

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "playback",
            "model": model_json(self.model),
            "items": [{"id": i.id, "subject": i.subject, "text": i.text} for i in self.items],
            "batch_size": self.batch_size,
        }

    @classmethod
    def from_json(cls, job: dict[str, Any]) -> PlaybackJob:
        """Parse a playback job; raise JobError naming the field that is wrong."""
        items = job.get("items", [])
        if not isinstance(items, list):
            raise JobError("the job's 'items' must be a list of emails")
        try:
            parsed = tuple(
                PlaybackItem(str(i["id"]), str(i["text"]), str(i.get("subject", ""))) for i in items
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise JobError(f"malformed playback item: missing or wrong field {exc}") from None
        size = job.get("batch_size", 8)
        if type(size) is not int or size < 1:
            raise JobError("the job's 'batch_size' must be a positive integer")
        return cls(parse_model(job.get("model")), parsed, size)


@dataclass(frozen=True)
class PlaybackBatch:
    """The "playback_batch" event: one finished batch, and how far the job is."""

    results: tuple[PlaybackResult, ...]
    done: int
    total: int

    def to_json(self) -> dict[str, Any]:
        return {
            "event": "playback_batch",
            "results": [
                {"id": r.id, "instruction": r.instruction, "error": r.error, "model": r.model}
                for r in self.results
            ],
            "done": self.done,
            "total": self.total,
        }

    @classmethod
    def from_json(cls, event: dict[str, Any]) -> PlaybackBatch:
        """Parse the event; raise JobError naming the field that is wrong."""
        done, total = event.get("done"), event.get("total")
        if type(done) is not int or type(total) is not int:
            raise JobError("a playback batch needs integer 'done' and 'total'")
        try:
            results = tuple(_result(r) for r in event["results"])
        except (KeyError, TypeError, AttributeError) as exc:
            raise JobError(f"malformed playback result: missing or wrong field {exc}") from None
        return cls(results, done, total)


def _result(data: dict[str, Any]) -> PlaybackResult:
    instruction, error = data["instruction"], data["error"]
    if not (instruction is None or isinstance(instruction, str)):
        raise TypeError("'instruction'")
    if not (error is None or isinstance(error, str)):
        raise TypeError("'error'")
    return PlaybackResult(str(data["id"]), instruction, error, str(data["model"]))


@dataclass(frozen=True)
class PlaybackDone:
    """A playback job's result: emails done, how many of them failed, the model used."""

    done: int
    failed: int
    model: str

    def to_json(self) -> dict[str, Any]:
        return {"done": self.done, "failed": self.failed, "model": self.model}
