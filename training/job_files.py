"""The train job as the daemon writes it to the child's stdin, typed (torch-free).

JSON is parsed here once, into frozen dataclasses; malformed input raises JobError
saying which field to fix. The daemon builds these same types and writes
:meth:`TrainJob.to_json`, so both sides share one definition of the job file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from panza.training.errors import JobError
from panza.training.hyper import Hyper
from panza.training.model import ModelSpec
from panza.training.prompt import PastEmail, Profile, Request, ThreadMessage

_MODEL_FIELDS = ("name", "device", "dtype", "load_in_4bit", "allow_download")


@dataclass(frozen=True)
class Record:
    """One stored email with its instruction and context."""

    id: str
    instruction: str
    text: str
    date: str | None = None
    thread: tuple[ThreadMessage, ...] = ()
    retrieved: tuple[PastEmail, ...] = ()

    def request(self, with_retrieved: bool = True) -> Request:
        return Request(self.instruction, self.retrieved if with_retrieved else (), self.thread)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "instruction": self.instruction,
            "text": self.text,
            "date": self.date,
            "thread": [{"sender": m.sender, "text": m.text, "date": m.date} for m in self.thread],
            "retrieved": [
                {"subject": e.subject, "text": e.text, "date": e.date} for e in self.retrieved
            ],
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Record:
        try:
            return cls(
                id=str(d["id"]),
                instruction=str(d["instruction"]),
                text=str(d["text"]),
                date=d.get("date"),
                thread=tuple(
                    ThreadMessage(str(m.get("sender", "")), str(m["text"]), m.get("date"))
                    for m in d.get("thread") or ()
                ),
                retrieved=tuple(
                    PastEmail(str(e.get("subject", "")), str(e["text"]), e.get("date"))
                    for e in d.get("retrieved") or ()
                ),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise JobError(f"malformed record: missing or wrong field {exc}") from None


def parse_model(data: Any) -> ModelSpec:
    """The job's "model" block."""
    if not isinstance(data, dict) or not data.get("name"):
        raise JobError("the job's 'model' needs a 'name' (a Hugging Face id or a folder)")
    unknown = sorted(set(data) - set(_MODEL_FIELDS))
    if unknown:
        raise JobError(f"unknown model fields: {', '.join(unknown)}")
    return ModelSpec(**data)


def model_json(spec: ModelSpec) -> dict[str, Any]:
    return {name: getattr(spec, name) for name in _MODEL_FIELDS}


def parse_profile(data: Any) -> Profile:
    """The job's "profile" block (absent: a user called "me")."""
    if data is None:
        return Profile(name="me")
    if not isinstance(data, dict) or not str(data.get("name", "")).strip():
        raise JobError("the job's 'profile' needs a 'name'")
    return Profile(str(data["name"]), str(data.get("signature", "")), str(data.get("facts", "")))


def profile_json(profile: Profile) -> dict[str, str]:
    return {"name": profile.name, "signature": profile.signature, "facts": profile.facts}


def parse_records(data: Any, field: str) -> tuple[Record, ...]:
    if data is None:
        return ()
    if not isinstance(data, list):
        raise JobError(f"the job's '{field}' must be a list of records")
    return tuple(Record.from_json(r) for r in data)


@dataclass(frozen=True)
class CurrentAdapter:
    """The adapter version current when the job was written."""

    version: int
    path: str


@dataclass(frozen=True)
class TrainJob:
    """One training run: the model, the settings, the records, where to publish."""

    model: ModelSpec
    profile: Profile
    hyper: Hyper
    train: tuple[Record, ...]
    test: tuple[Record, ...]
    adapters_dir: str
    version: int
    current: CurrentAdapter | None = None
    full_retrain: bool = False

    def to_json(self) -> dict[str, Any]:
        current = self.current
        where = None if current is None else {"version": current.version, "path": current.path}
        return {
            "kind": "train",
            "model": model_json(self.model),
            "profile": profile_json(self.profile),
            "hyper": self.hyper.to_json(),
            "train": [r.to_json() for r in self.train],
            "test": [r.to_json() for r in self.test],
            "adapters_dir": self.adapters_dir,
            "version": self.version,
            "current": where,
            "full_retrain": self.full_retrain,
        }

    @classmethod
    def from_json(cls, job: dict[str, Any]) -> TrainJob:
        """Parse a train job; raise JobError naming the field that is wrong."""
        hyper = job.get("hyper") or {}
        if not isinstance(hyper, dict):
            raise JobError("the job's 'hyper' must be an object of training settings")
        adapters_dir, version = job.get("adapters_dir"), job.get("version")
        if not isinstance(adapters_dir, str) or not adapters_dir or type(version) is not int:
            raise JobError("a train job needs 'adapters_dir' and an integer 'version'")
        return cls(
            model=parse_model(job.get("model")),
            profile=parse_profile(job.get("profile")),
            hyper=Hyper.from_json(hyper),
            train=parse_records(job.get("train"), "train"),
            test=parse_records(job.get("test"), "test"),
            adapters_dir=adapters_dir,
            version=version,
            current=_current(job.get("current")),
            full_retrain=bool(job.get("full_retrain")),
        )


def _current(data: Any) -> CurrentAdapter | None:
    if data is None:
        return None
    if not isinstance(data, dict) or type(data.get("version")) is not int:
        raise JobError("the job's 'current' needs an integer 'version' and a 'path'")
    if not isinstance(data.get("path"), str) or not data["path"]:
        raise JobError("the job's 'current' needs an integer 'version' and a 'path'")
    return CurrentAdapter(data["version"], data["path"])
