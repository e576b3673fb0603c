"""How drafts choose each next token, defined once (torch-free, so the daemon can import it).

Greedy at temperature 0; otherwise temperature, then top-k, then top-p (nucleus) sampling,
in the order Hugging Face applies them.
"""

from __future__ import annotations

from dataclasses import dataclass

from panza.training.errors import TrainingError

DEFAULT_MAX_NEW_TOKENS = 384


@dataclass(frozen=True)
class Sampling:
    """Sampling settings; temperature 0 means greedy."""

    temperature: float = 0.7
    top_p: float = 0.7
    top_k: int = 50

    def __post_init__(self) -> None:
        if not self.temperature >= 0:
            raise TrainingError(f"temperature must be 0 or more, not {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise TrainingError(f"top_p must be in (0, 1], not {self.top_p}")
        if self.top_k < 1:
            raise TrainingError(f"top_k must be 1 or more, not {self.top_k}")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0

    def with_temperature(self, temperature: float | None) -> Sampling:
        """These settings at another temperature (None keeps this one)."""
        if temperature is None:
            return self
        return Sampling(temperature, self.top_p, self.top_k)


DRAFT_SAMPLING = Sampling()
GREEDY = Sampling(temperature=0.0)
