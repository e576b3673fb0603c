"""Training settings, defined once: every knob of config.toml's [training], its default and
its limits (torch-free, so the daemon's config can use this type as its [training] section).

Defaults are PanzaMail's reference configuration (r 8, alpha 16, dropout 0.05, density 1%,
all-linear, lr 1e-5, global batch 8 of micro-batch 1, 8 warmup steps, 512 tokens, seed 41,
5 epochs for RoSA/LoRA and 3 for full fine-tuning). :class:`panza.training.hyper.Hyper`
takes its defaults and checks from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Literal

MethodName = Literal["rosa", "lora", "full"]
METHODS: tuple[MethodName, ...] = ("rosa", "lora", "full")
TargetModules = Literal["all-linear"] | tuple[str, ...]


@dataclass(frozen=True)
class TrainingSettings:
    """The [training] section; raises ValueError naming every value out of its limits."""

    method: MethodName = "rosa"
    epochs: int = 5
    full_epochs: int = 3
    learning_rate: float = 1e-5
    max_length: int = 512
    test_fraction: float = 0.1
    batch_size: int = 8
    micro_batch_size: int = 1
    warmup_steps: int = 8
    r: int = 8
    alpha: float = 16.0
    dropout: float = 0.05
    density: float = 0.01
    target_modules: TargetModules = "all-linear"
    # RoSA's "wl16": LoRA alone this many steps before the sparse mask is chosen.
    mask_warmup_steps: int = 16
    # Incremental runs: old emails replayed per new one, against forgetting. 0.5 makes a
    # third of each incremental run old mail, and keeps a run on 20 new emails under a
    # quarter of a full retrain on 200 (benchmarks/bench_training.py).
    replay_ratio: float = 0.5
    # A new version becomes current unless its held-out loss is this much (relative)
    # worse than the current one's; 2% absorbs the noise of small test splits.
    acceptance_tolerance: float = 0.02
    # Share of training emails shown with their most similar past emails (PanzaMail's 0.55).
    rag_share: float = 0.55
    rag_k: int = 3
    playback_batch_size: int = 8
    seed: int = 41

    def __post_init__(self) -> None:
        if isinstance(self.target_modules, list):
            object.__setattr__(self, "target_modules", tuple(self.target_modules))
        check(self)

    def epochs_for(self, method: MethodName) -> int:
        """Epochs of a run with `method`: full fine-tuning has its own, smaller count."""
        return self.full_epochs if method == "full" else self.epochs


def _range(
    low: float | None, high: float | None, *, open_low: bool = False, open_high: bool = False
) -> Callable[[Any], str | None]:
    def test(value: Any) -> str | None:
        below = low is not None and (value <= low if open_low else value < low)
        above = high is not None and (value >= high if open_high else value > high)
        if not below and not above:
            return None
        lo = "" if low is None else f"{'>' if open_low else '>='} {low}"
        hi = "" if high is None else f"{'<' if open_high else '<='} {high}"
        return f"must be {' and '.join(p for p in (lo, hi) if p)}, not {value}"

    return test


def _method(value: Any) -> str | None:
    return None if value in METHODS else f"must be {', '.join(METHODS)}, not {value!r}"


# Each setting's limits, once; a setting of Hyper or TrainingSettings absent here has none.
LIMITS: dict[str, Callable[[Any], str | None]] = {
    "method": _method,
    "epochs": _range(1, None),
    "full_epochs": _range(1, None),
    "learning_rate": _range(0, None, open_low=True),
    "sparse_learning_rate": _range(0, None, open_low=True),
    "max_length": _range(32, None),
    "test_fraction": _range(0, 1, open_high=True),
    "batch_size": _range(1, None),
    "micro_batch_size": _range(1, None),
    "warmup_steps": _range(0, None),
    "r": _range(1, None),
    "alpha": _range(0, None, open_low=True),
    "dropout": _range(0, 1, open_high=True),
    "density": _range(0, 1, open_low=True, open_high=True),
    "mask_warmup_steps": _range(0, None),
    "replay_ratio": _range(0, None),
    "acceptance_tolerance": _range(0, None),
    "rag_share": _range(0, 1),
    "rag_k": _range(1, 20),
    "playback_batch_size": _range(1, None),
}


def check(settings: object) -> None:
    """Raise ValueError listing every field of `settings` (a dataclass) out of its limits."""
    problems = []
    for f in fields(settings):  # type: ignore[arg-type]
        value = getattr(settings, f.name)
        test = LIMITS.get(f.name)
        problem = test(value) if test is not None and value is not None else None
        if problem:
            problems.append(f"{f.name} {problem}")
    batch, micro = getattr(settings, "batch_size", 1), getattr(settings, "micro_batch_size", 1)
    if micro > batch:
        problems.append("micro_batch_size cannot exceed batch_size")
    if problems:
        raise ValueError("; ".join(problems))
