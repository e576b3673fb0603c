"""The training library's exceptions: one base class, a subclass per kind of failure.

Each carries a short `kind` so that the child process can report it as JSON and the
daemon can turn it into its own one-line error without importing torch.
"""

from __future__ import annotations


class TrainingError(Exception):
    """Base of every error panza.training raises on purpose; str() is actionable."""

    kind = "training"


class ModelNotFoundError(TrainingError):
    """A model is not on this machine (or not at the path given) and may not be downloaded."""

    kind = "model_not_found"


class ModelLoadError(TrainingError):
    """A model was found but could not be loaded (broken files, unsupported setting)."""

    kind = "model_load"


class JobError(TrainingError):
    """A job description is malformed or asks for something impossible."""

    kind = "bad_job"


class VersionError(TrainingError):
    """An adapter version folder is missing, incomplete or unreadable."""

    kind = "version"


class Cancelled(TrainingError):
    """The run was asked to stop; nothing was published."""

    kind = "cancelled"
