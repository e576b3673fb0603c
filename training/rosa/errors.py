"""The RoSA tuner's exceptions: one base class, one subclass per kind of failure."""

from __future__ import annotations

from panza.training.errors import TrainingError


class RosaError(TrainingError):
    """Base of every error panza.training.rosa raises: an adapter or a setting that does not fit."""

    kind = "adapter"


class RosaConfigError(RosaError, ValueError):
    """A configuration value is out of range or inconsistent; the message lists every problem."""


class MaskError(RosaError, ValueError):
    """A sparse mask has the wrong shape, dtype, count or layer set."""


class AdapterFormatError(RosaError, ValueError):
    """An adapter or mask file is missing, of another kind or version, or does not fit the model."""


class QuantizationUnavailableError(RosaError, RuntimeError):
    """A 4-bit (NF4) base was requested where CUDA or bitsandbytes is missing."""
