"""What a job's final "result" event says, typed (torch-free).

The child writes :meth:`to_json` (plus ``"event": "result"``) and the daemon parses it
back once with :meth:`from_json`; malformed input raises JobError naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from panza.training.errors import JobError, VersionError
from panza.training.manifest import Manifest

TrainStatus = Literal["accepted", "rejected", "nothing_to_train"]
# The manifest's keys a train result leaves out (the result is a summary).
_NOT_IN_RESULT = ("seen_ids", "heldout", "compared_heldout")
NOTHING_NEW = "no emails the current adapter has not seen"


@dataclass(frozen=True)
class Published:
    """The version a train job published: where, and its manifest as the result reports it
    (without `seen_ids` and the per-email held-out figures, which stay in the folder)."""

    path: str
    manifest: Manifest


@dataclass(frozen=True)
class TrainResult:
    """A train job's outcome: nothing new to train, or a version published (accepted or not)."""

    why: str = ""  # why there was nothing to train (a published version has manifest.why)
    published: Published | None = None

    @property
    def status(self) -> TrainStatus:
        if self.published is None:
            return "nothing_to_train"
        return "accepted" if self.published.manifest.accepted else "rejected"

    def to_json(self) -> dict[str, Any]:
        if self.published is None:
            return {"status": self.status, "why": self.why}
        manifest = self.published.manifest
        summary = {k: v for k, v in manifest.to_json().items() if k not in _NOT_IN_RESULT}
        return {
            "status": self.status,
            **summary,
            "path": self.published.path,
            "heldout": manifest.heldout.summary(),
            "compared_heldout": manifest.compared_heldout.summary(),
        }

    @classmethod
    def from_json(cls, data: Any) -> TrainResult:
        """Parse a train result; raise JobError naming the field that is wrong."""
        if not isinstance(data, dict):
            raise JobError("a train result must be a JSON object")
        status, why = data.get("status"), data.get("why", "")
        if not isinstance(why, str):
            raise JobError("the train result's 'why' must be a string")
        if status == "nothing_to_train":
            return cls(why=why)
        if status not in ("accepted", "rejected"):
            raise JobError(
                "the train result's 'status' must be accepted, rejected or nothing_to_train"
            )
        path = data.get("path")
        if not isinstance(path, str) or not path:
            raise JobError("the train result's 'path' must name the published version's folder")
        try:
            manifest = Manifest.from_json(data, where="the train result")
        except VersionError as exc:
            raise JobError(str(exc)) from None
        if manifest.accepted != (status == "accepted"):
            raise JobError(f"the train result's 'status' {status} contradicts its 'accepted'")
        return cls(published=Published(path, manifest))
