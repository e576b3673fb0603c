"""The eval job and its result, typed (torch-free).

Same JSON as the daemon and the child always exchanged; parsed here once, and malformed
input raises JobError naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from panza.training.errors import JobError
from panza.training.job_files import (
    Record,
    model_json,
    parse_model,
    parse_profile,
    parse_records,
    profile_json,
)
from panza.training.model import ModelSpec
from panza.training.prompt import Profile

# Scores present only when drafts were made (and, for the *_rag ones, retrieval found some).
_DRAFT_FIELDS = ("bleu", "rouge_l", "drafts", "bleu_rag", "rouge_l_rag")


@dataclass(frozen=True)
class VersionRef:
    """An adapter version to evaluate: its name (vNNNN) and folder."""

    name: str
    path: str


@dataclass(frozen=True)
class EvalJob:
    """Score the base (if `include_base`) and each version on `test`; drafts if `generate`
    (for at most `limit` emails: generation is the slow part)."""

    model: ModelSpec
    profile: Profile
    test: tuple[Record, ...]
    versions: tuple[VersionRef, ...] = ()
    include_base: bool = True
    generate: bool = True
    limit: int | None = None
    max_length: int = 512
    max_new_tokens: int = 256

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "eval",
            "model": model_json(self.model),
            "profile": profile_json(self.profile),
            "test": [r.to_json() for r in self.test],
            "versions": [{"name": v.name, "path": v.path} for v in self.versions],
            "include_base": self.include_base,
            "generate": self.generate,
            "limit": self.limit,
            "max_length": self.max_length,
            "max_new_tokens": self.max_new_tokens,
        }

    @classmethod
    def from_json(cls, job: dict[str, Any]) -> EvalJob:
        """Parse an eval job; raise JobError naming the field that is wrong."""
        versions = job.get("versions", [])
        if not isinstance(versions, list) or not all(
            isinstance(v, dict)
            and isinstance(v.get("name"), str)
            and isinstance(v.get("path"), str)
            for v in versions
        ):
            raise JobError("the job's 'versions' must be a list of {name, path}")
        limit = job.get("limit")
        if limit is not None and (type(limit) is not int or limit < 1):
            raise JobError("the job's 'limit' must be a positive integer or null")
        return cls(
            model=parse_model(job.get("model")),
            profile=parse_profile(job.get("profile")),
            test=parse_records(job.get("test"), "test"),
            versions=tuple(VersionRef(v["name"], v["path"]) for v in versions),
            include_base=bool(job.get("include_base", True)),
            generate=bool(job.get("generate", True)),
            limit=limit,
            max_length=_positive(job, "max_length", 512),
            max_new_tokens=_positive(job, "max_new_tokens", 256),
        )


def _positive(job: dict[str, Any], name: str, default: int) -> int:
    value = job.get(name, default)
    if type(value) is not int or value < 1:
        raise JobError(f"the job's '{name}' must be a positive integer")
    return value


@dataclass(frozen=True)
class EvalRow:
    """One model's figures: held-out loss and perplexity, and draft scores when made."""

    name: str
    loss: float | None
    perplexity: float | None
    bleu: float | None = None
    rouge_l: float | None = None
    drafts: int | None = None
    bleu_rag: float | None = None
    rouge_l_rag: float | None = None

    def to_json(self) -> dict[str, Any]:
        row: dict[str, Any] = {"name": self.name, "loss": self.loss, "perplexity": self.perplexity}
        row.update({k: getattr(self, k) for k in _DRAFT_FIELDS if getattr(self, k) is not None})
        return row

    @classmethod
    def from_json(cls, data: Any) -> EvalRow:
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            raise JobError("an eval row needs a 'name'")
        figures = {k: data.get(k) for k in ("loss", "perplexity", *_DRAFT_FIELDS)}
        wrong = [k for k, v in figures.items() if not (v is None or isinstance(v, int | float))]
        if wrong:
            raise JobError(f"eval row {data['name']}: '{wrong[0]}' must be a number")
        return cls(data["name"], **figures)


@dataclass(frozen=True)
class EvalResult:
    """An eval job's result: a row per model (the base first), and the test email count."""

    rows: tuple[EvalRow, ...]
    test_emails: int

    def to_json(self) -> dict[str, Any]:
        return {"rows": [r.to_json() for r in self.rows], "test_emails": self.test_emails}

    @classmethod
    def from_json(cls, data: Any) -> EvalResult:
        """Parse an eval result; raise JobError naming the field that is wrong."""
        if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
            raise JobError("an eval result needs a list of 'rows'")
        if type(data.get("test_emails")) is not int:
            raise JobError("an eval result needs an integer 'test_emails'")
        return cls(tuple(EvalRow.from_json(r) for r in data["rows"]), data["test_emails"])
