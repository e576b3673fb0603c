"""One interface for the three fine-tuning methods, picked by name: rosa, lora, full.

`prepare(model, config)` returns a Tuned object; a training loop only needs its
`model`, `param_groups`, `on_step_begin`/`on_step_end`, `save` and `merged`.
Plain LoRA is peft's own (saved and loaded with peft's save_pretrained/from_pretrained).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from safetensors.torch import load_model, save_model
from torch import nn

from panza.training.atomic import replace_atomically
from panza.training.dropout import replace_dropouts
from panza.training.rosa.config import ALL_LINEAR, RosaConfig
from panza.training.rosa.errors import AdapterFormatError, RosaConfigError
from panza.training.rosa.model import RosaModel
from panza.training.rosa.peft_format import CONFIG_NAME, load_adapter, panza_version, save_adapter
from panza.training.rosa.schedule import RosaScheduler
from panza.training.settings import METHODS, MethodName

FULL_MANIFEST = "panza_full.json"
FULL_WEIGHTS = "model.safetensors"


@dataclass(frozen=True)
class LoraMethodConfig:
    """Plain LoRA through peft."""

    r: int = 8
    alpha: float = 16.0
    dropout: float = 0.05
    target_modules: str | tuple[str, ...] = ALL_LINEAR
    base_model: str | None = None

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.r, int) or self.r < 1:
            problems.append(f"r must be an integer >= 1, got {self.r!r}")
        if not isinstance(self.alpha, int | float) or self.alpha <= 0:
            problems.append(f"alpha must be > 0, got {self.alpha!r}")
        if not isinstance(self.dropout, int | float) or not 0 <= self.dropout < 1:
            problems.append(f"dropout must be in [0, 1), got {self.dropout!r}")
        if problems:
            raise RosaConfigError("invalid LoRA config: " + "; ".join(problems))


@dataclass(frozen=True)
class FullMethodConfig:
    """Full fine-tuning: every parameter trains; the whole model is saved."""

    base_model: str | None = None


MethodConfig = RosaConfig | LoraMethodConfig | FullMethodConfig


def method_config(name: str, **options: Any) -> MethodConfig:
    """The config of method `name` ("rosa", "lora" or "full") built from keyword options."""
    classes: dict[str, type[Any]] = {
        "rosa": RosaConfig,
        "lora": LoraMethodConfig,
        "full": FullMethodConfig,
    }
    if name not in classes:
        raise RosaConfigError(f"unknown fine-tuning method {name!r}; choose one of {METHODS}")
    cls = classes[name]
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise RosaConfigError(
            f"method {name!r} takes no options {unknown}; it takes {sorted(known)}"
        )
    config: MethodConfig = cls(**options)
    return config


class Tuned(Protocol):
    """A model prepared for one fine-tuning method."""

    name: MethodName
    model: nn.Module

    def param_groups(self, lr: float, sparse_lr: float | None = None) -> list[dict[str, Any]]:
        """Optimizer parameter groups (sparse_lr applies to RoSA's sparse values only)."""
        ...

    def on_step_begin(self, step: int) -> None:
        """Call before the first micro-batch of optimizer step `step`."""
        ...

    def on_step_end(self, step: int) -> bool:
        """Call after optimizer.step(); True means the method asks the run to stop."""
        ...

    @property
    def collecting(self) -> bool:
        """Whether the current step holds a gradient score per adapted weight (RoSA's mask
        collection): the steps that need the most memory."""
        ...

    def save(self, path: str | Path) -> None:
        """Write what training produced (adapter or whole model) to folder `path`."""
        ...

    def merged(self) -> nn.Module:
        """A plain model with the training folded in (for export or fast inference)."""
        ...


class RosaTuned:
    name: MethodName = "rosa"

    def __init__(self, rosa: RosaModel) -> None:
        self.rosa = rosa
        self.model = rosa.model
        self.scheduler = RosaScheduler(rosa)

    def param_groups(self, lr: float, sparse_lr: float | None = None) -> list[dict[str, Any]]:
        return self.rosa.param_groups(lr, sparse_lr)

    def on_step_begin(self, step: int) -> None:
        self.scheduler.on_step_begin(step)

    def on_step_end(self, step: int) -> bool:
        return self.scheduler.on_step_end(step)

    @property
    def collecting(self) -> bool:
        return self.scheduler.collecting

    def save(self, path: str | Path) -> None:
        save_adapter(self.rosa, path)

    def merged(self) -> nn.Module:
        return self.rosa.merge_and_unload()


class LoraTuned:
    name: MethodName = "lora"

    def __init__(self, peft_model: nn.Module) -> None:
        self.model = peft_model
        replace_dropouts(peft_model)  # peft's nn.Dropout draws 4x the random numbers

    def param_groups(self, lr: float, sparse_lr: float | None = None) -> list[dict[str, Any]]:
        return [{"params": [p for p in self.model.parameters() if p.requires_grad], "lr": lr}]

    def on_step_begin(self, step: int) -> None:
        return None

    def on_step_end(self, step: int) -> bool:
        return False

    collecting = False

    def save(self, path: str | Path) -> None:
        self.model.save_pretrained(str(path))  # type: ignore[operator]

    def merged(self) -> nn.Module:
        out: nn.Module = self.model.merge_and_unload()  # type: ignore[operator]
        return out


class FullTuned:
    name: MethodName = "full"

    def __init__(self, model: nn.Module, base_model: str | None = None) -> None:
        self.model = model
        self.base_model = base_model
        model.requires_grad_(True)

    def param_groups(self, lr: float, sparse_lr: float | None = None) -> list[dict[str, Any]]:
        return [{"params": [p for p in self.model.parameters() if p.requires_grad], "lr": lr}]

    def on_step_begin(self, step: int) -> None:
        return None

    def on_step_end(self, step: int) -> bool:
        return False

    collecting = False

    def save(self, path: str | Path) -> None:
        folder = Path(path)
        manifest = {
            "method": "full",
            "panza_version": panza_version(),
            "base_model": self.base_model,
        }
        replace_atomically(folder / FULL_WEIGHTS, lambda tmp: save_model(self.model, str(tmp)))
        text = json.dumps(manifest, indent=2) + "\n"
        replace_atomically(folder / FULL_MANIFEST, lambda tmp: tmp.write_text(text, "utf-8"))

    def merged(self) -> nn.Module:
        return self.model


def prepare(model: nn.Module, config: MethodConfig) -> Tuned:
    """Make `model` trainable with the method `config` describes (RoSA and LoRA freeze the base)."""
    if isinstance(config, RosaConfig):
        return RosaTuned(RosaModel(model, config))
    if isinstance(config, LoraMethodConfig):
        from peft import LoraConfig, get_peft_model

        targets = config.target_modules
        lora = LoraConfig(
            r=config.r,
            lora_alpha=config.alpha,  # type: ignore[arg-type]  # peft annotates int; floats work
            lora_dropout=config.dropout,
            target_modules=targets if isinstance(targets, str) else list(targets),
            base_model_name_or_path=config.base_model,
            task_type="CAUSAL_LM",
        )
        with _quiet_peft():
            return LoraTuned(get_peft_model(model, lora))
    return FullTuned(model, config.base_model)


def load(model: nn.Module, path: str | Path, *, trainable: bool = False) -> Tuned:
    """Put what `save` wrote in folder `path` onto `model` (its base); the method is detected."""
    folder = Path(path)
    if (folder / FULL_MANIFEST).is_file():
        load_model(model, str(folder / FULL_WEIGHTS))
        tuned_full = FullTuned(model)
        if not trainable:
            model.requires_grad_(False)
        return tuned_full
    config_file = folder / CONFIG_NAME
    if not config_file.is_file():
        raise AdapterFormatError(f"{folder} holds neither an adapter nor a fully tuned model")
    peft_type = json.loads(config_file.read_text(encoding="utf-8")).get("peft_type")
    if peft_type == "ROSA":
        tuned = RosaTuned(load_adapter(model, folder))
        if not trainable:
            tuned.rosa.set_trainable(lora=False, sparse=False)
        return tuned
    if peft_type == "LORA":
        from peft import PeftModel

        with _quiet_peft():
            peft_model = PeftModel.from_pretrained(model, str(folder), is_trainable=trainable)
        return LoraTuned(peft_model)
    raise AdapterFormatError(f"{folder} holds a {peft_type!r} adapter; expected ROSA or LORA")


@contextlib.contextmanager
def _quiet_peft() -> Iterator[None]:
    # peft 0.21 reads transformers 5's deprecated `is_gradient_checkpointing`; the warning
    # is about their version skew, not anything a Panza user can act on.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning
        )
        yield
