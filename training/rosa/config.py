"""RosaConfig: the validated settings of one RoSA adapter and its training schedule."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from panza.training.rosa.errors import RosaConfigError

GradMode = Literal["mean_squared", "mean"]
Impl = Literal["auto", "csr", "merged"]
ALL_LINEAR = "all-linear"

_SCHEDULE_RE = re.compile(r"^(default|lora_only|spa_only|wl(\d+))$")
_GRAD_MODES = ("mean_squared", "mean")
_IMPLS = ("auto", "csr", "merged")


@dataclass(frozen=True)
class RosaConfig:
    """Settings of a RoSA adapter (LoRA rank r plus a sparse part of `density`) and its schedule.

    `schedule` is "default" (= "wl0"), "wlN" (LoRA alone for N optimizer steps, then
    `num_grad_steps` steps of gradient collection for the masks, then LoRA and the sparse
    part together), "lora_only" (density must be 0) or "spa_only" (r must be 0).
    Mask paths name safetensors files (see mask.save_masks); a loaded mask skips collection.
    """

    r: int = 8
    alpha: float = 16.0
    dropout: float = 0.05
    density: float = 0.01
    target_modules: str | tuple[str, ...] = ALL_LINEAR
    schedule: str = "default"
    grad_mode: GradMode = "mean_squared"
    num_grad_steps: int = 1
    mask_load_path: str | None = None
    mask_save_path: str | None = None
    stop_after_mask: bool = False
    base_model: str | None = None
    impl: Impl = "auto"

    def __post_init__(self) -> None:
        if isinstance(self.target_modules, list):
            object.__setattr__(self, "target_modules", tuple(self.target_modules))
        problems = _problems(self)
        if problems:
            raise RosaConfigError("invalid RoSA config: " + "; ".join(problems))

    @property
    def scaling(self) -> float:
        """The LoRA scale s = alpha / r (1 when r is 0, where it multiplies nothing)."""
        return self.alpha / self.r if self.r > 0 else 1.0

    @property
    def warmup_steps(self) -> int:
        """Optimizer steps of LoRA alone before gradient collection (N of "wlN")."""
        m = _SCHEDULE_RE.match(self.schedule)
        return int(m.group(2)) if m and m.group(2) else 0

    @property
    def uses_sparse(self) -> bool:
        """Whether the schedule trains a sparse part at all."""
        return self.schedule != "lora_only"

    @property
    def uses_lora(self) -> bool:
        """Whether the schedule trains the low-rank part at all."""
        return self.schedule != "spa_only"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (target_modules as a list)."""
        d = asdict(self)
        if isinstance(self.target_modules, tuple):
            d["target_modules"] = list(self.target_modules)
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RosaConfig:
        """Build from a mapping; unknown keys are rejected with a suggestion."""
        names = [f.name for f in fields(cls)]
        unknown = [k for k in data if k not in names]
        if unknown:
            hints = []
            for key in unknown:
                close = difflib.get_close_matches(key, names, n=1)
                hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            raise RosaConfigError("unknown RoSA config keys: " + ", ".join(hints))
        return cls(**dict(data))


def _problems(c: RosaConfig) -> list[str]:
    """Every problem with `c`, so that one error reports them all at once."""
    out: list[str] = []
    if not _is_int(c.r) or c.r < 0:
        out.append(f"r must be an integer >= 0, got {c.r!r}")
    if not _is_real(c.alpha) or c.alpha <= 0:
        out.append(f"alpha must be > 0, got {c.alpha!r}")
    if not _is_real(c.dropout) or not 0 <= c.dropout < 1:
        out.append(f"dropout must be in [0, 1), got {c.dropout!r}")
    if not _is_real(c.density) or not 0 <= c.density < 1:
        out.append(f"density must be in [0, 1), got {c.density!r}")
    if not _is_int(c.num_grad_steps) or c.num_grad_steps < 1:
        out.append(f"num_grad_steps must be an integer >= 1, got {c.num_grad_steps!r}")
    if c.grad_mode not in _GRAD_MODES:
        out.append(f"grad_mode must be one of {_GRAD_MODES}, got {c.grad_mode!r}")
    if c.impl not in _IMPLS:
        out.append(f"impl must be one of {_IMPLS}, got {c.impl!r}")
    out.extend(_target_problems(c.target_modules))
    if not isinstance(c.schedule, str) or not _SCHEDULE_RE.match(c.schedule):
        out.append(
            f"schedule must be 'default', 'wlN' (N >= 0), 'lora_only' or 'spa_only', "
            f"got {c.schedule!r}"
        )
        return out
    if out:
        # The cross-field rules below assume numbers; they would only add noise.
        return out
    if c.schedule == "lora_only":
        if c.density != 0:
            out.append(f"schedule 'lora_only' needs density 0, got {c.density}")
        if c.r == 0:
            out.append("schedule 'lora_only' needs r > 0")
    elif c.schedule == "spa_only":
        if c.r != 0:
            out.append(f"schedule 'spa_only' trains no LoRA, so r must be 0, got {c.r}")
    elif c.r == 0:
        out.append(f"schedule {c.schedule!r} trains LoRA, so r must be > 0 (or use 'spa_only')")
    if c.uses_sparse and c.density == 0:
        out.append(f"schedule {c.schedule!r} needs density > 0 (or use 'lora_only')")
    if c.mask_load_path and c.mask_save_path:
        out.append("set mask_load_path or mask_save_path, not both")
    if not c.uses_sparse and (c.mask_load_path or c.mask_save_path):
        out.append("schedule 'lora_only' has no masks to load or save")
    if c.stop_after_mask and not c.mask_save_path:
        out.append("stop_after_mask needs mask_save_path (the run would end with nothing kept)")
    return out


def _target_problems(t: object) -> list[str]:
    if t == ALL_LINEAR:
        return []
    if isinstance(t, str):
        return [f"target_modules must be {ALL_LINEAR!r} or a list of module names, got {t!r}"]
    if not isinstance(t, Sequence) or not t or not all(isinstance(x, str) and x for x in t):
        return [f"target_modules must be a non-empty list of module names, got {t!r}"]
    return []


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_real(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)
