"""RosaModel: put RosaLinear layers into a model and manage them (masks, merge, save)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from torch import Tensor, nn

from panza.training.rosa.config import ALL_LINEAR, RosaConfig
from panza.training.rosa.errors import MaskError, RosaConfigError
from panza.training.rosa.layer import RosaLinear
from panza.training.rosa.mask import load_masks, save_masks


class RosaModel:
    """A handle on `model` whose target Linears were replaced in place by RosaLinear layers.

    `model` stays the object to call and train (a transformers model stays one); every
    base parameter is frozen. Masks from `config.mask_load_path` are applied at once.
    """

    def __init__(
        self, model: nn.Module, config: RosaConfig, layer_names: Sequence[str] | None = None
    ) -> None:
        self.model = model
        self.config = config
        for p in model.parameters():
            p.requires_grad_(False)
        names = list(layer_names) if layer_names is not None else target_names(model, config)
        self.layers: dict[str, RosaLinear] = {}
        for name in names:
            base = model.get_submodule(name)
            if isinstance(base, RosaLinear):
                raise RosaConfigError(f"{name} already carries a RoSA adapter")
            if not isinstance(base, nn.Linear):
                raise RosaConfigError(f"{name} is a {type(base).__name__}, not an nn.Linear")
            layer = RosaLinear(
                base, config.r, config.alpha, config.dropout, config.density, impl=config.impl
            )
            layer.row_parts = fused_parts(getattr(model, "config", None), name, base.out_features)
            _replace(model, name, layer)
            self.layers[name] = layer
        # Every adapter part the schedule will ever train starts trainable, so an optimizer
        # built now (as transformers' Trainer does) holds it; the scheduler narrows per step.
        self.set_trainable(lora=config.uses_lora, sparse=config.uses_sparse)
        if config.mask_load_path:
            self.load_masks(config.mask_load_path)

    def set_trainable(self, lora: bool, sparse: bool) -> None:
        """Choose which adapter parts get gradients, in every layer."""
        for layer in self.layers.values():
            layer.set_trainable(lora, sparse)

    def lora_parameters(self) -> Iterator[nn.Parameter]:
        for layer in self.layers.values():
            if layer.r > 0:
                yield layer.lora_A
                yield layer.lora_B

    def sparse_parameters(self) -> Iterator[nn.Parameter]:
        for layer in self.layers.values():
            if layer.k > 0:
                yield layer.sparse_values

    def param_groups(self, lr: float, sparse_lr: float | None = None) -> list[dict[str, Any]]:
        """Optimizer groups: LoRA at `lr`, sparse values at `sparse_lr` (default `lr`)."""
        groups = [
            {"params": list(self.lora_parameters()), "lr": lr},
            {
                "params": list(self.sparse_parameters()),
                "lr": lr if sparse_lr is None else sparse_lr,
            },
        ]
        return [g for g in groups if g["params"]]

    def num_adapter_parameters(self) -> int:
        """LoRA plus sparse values, over all layers."""
        return sum(p.numel() for p in (*self.lora_parameters(), *self.sparse_parameters()))

    @property
    def has_masks(self) -> bool:
        """Whether every layer that has a sparse part has its mask."""
        return all(layer.has_mask for layer in self.layers.values() if layer.k > 0)

    def masks(self) -> dict[str, Tensor]:
        """Per layer, the sorted flat mask positions (int64, on the CPU)."""
        return {n: layer.sparse_index.detach().cpu().clone() for n, layer in self.layers.items()}

    def shapes(self) -> dict[str, tuple[int, int]]:
        return {n: (layer.out_features, layer.in_features) for n, layer in self.layers.items()}

    def set_masks(
        self, masks: Mapping[str, Tensor], shapes: Mapping[str, tuple[int, int]] | None = None
    ) -> None:
        """Apply per-layer positions; the layer set (and shapes, when given) must match exactly."""
        if set(masks) != set(self.layers):
            missing = sorted(set(self.layers) - set(masks))
            extra = sorted(set(masks) - set(self.layers))
            raise MaskError(f"mask layers do not match the model: missing {missing}, extra {extra}")
        if shapes is not None:
            for name, shape in self.shapes().items():
                if tuple(shapes.get(name, ())) != shape:
                    raise MaskError(f"mask for {name} is for shape {shapes.get(name)}, not {shape}")
        for name, layer in self.layers.items():
            layer.set_mask_index(masks[name])

    def save_masks(self, path: str | Path) -> None:
        """Write the current masks to a safetensors file (int64 positions per layer)."""
        if not self.has_masks:
            raise MaskError("no masks to save: they are chosen after gradient collection")
        save_masks(path, self.masks(), self.shapes())

    def load_masks(self, path: str | Path) -> None:
        """Apply the masks from a file written by save_masks."""
        masks, shapes = load_masks(path)
        self.set_masks(masks, shapes)

    def merge_adapter(self) -> None:
        """Fold every adapter into its base weight in place (undo with unmerge_adapter)."""
        for layer in self.layers.values():
            layer.merge_adapter()

    def unmerge_adapter(self) -> None:
        """Subtract what merge_adapter added, restoring the base weights."""
        for layer in self.layers.values():
            layer.unmerge_adapter()

    def merge_and_unload(self) -> nn.Module:
        """Replace each RosaLinear by a plain Linear holding W + s B A + S; returns the model."""
        for name, layer in self.layers.items():
            if layer.merged:
                layer.unmerge_adapter()
            _replace(self.model, name, layer.merge())
        self.layers = {}
        return self.model

    def unload(self) -> nn.Module:
        """Put the original base Linears back, dropping the adapters; returns the model."""
        for name, layer in self.layers.items():
            if layer.merged:
                layer.unmerge_adapter()
            _replace(self.model, name, layer.base_layer)
        self.layers = {}
        return self.model


def target_names(model: nn.Module, config: RosaConfig) -> list[str]:
    """Names of the Linears that `config.target_modules` selects in `model`."""
    if any(isinstance(m, RosaLinear) for m in model.modules()):
        raise RosaConfigError("the model already carries RoSA adapters; start from its base")
    targets = config.target_modules
    linears = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Linear) and n]
    if targets == ALL_LINEAR:
        head = _output_layer(model)
        names = [n for n, m in linears if m is not head and n.split(".")[-1] != "lm_head"]
        if not names:
            raise RosaConfigError("target_modules 'all-linear' found no Linear layers to adapt")
        return names
    chosen: list[str] = []
    unmatched = []
    for t in targets:
        hits = [n for n, _ in linears if n == t or n.endswith("." + t)]
        if not hits:
            unmatched.append(t)
        chosen.extend(h for h in hits if h not in chosen)
    if unmatched:
        raise RosaConfigError(f"target_modules {unmatched} match no Linear layer in the model")
    return [n for n, _ in linears if n in chosen]


def fused_parts(config: Any, name: str, out_features: int) -> tuple[int, ...]:
    """Output rows of each projection a fused Linear stacks (Phi-3's qkv_proj and
    gate_up_proj), from the model config; () for an ordinary Linear."""
    leaf = name.rsplit(".", 1)[-1]
    if config is None or leaf not in ("qkv_proj", "gate_up_proj"):
        return ()
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    if leaf == "gate_up_proj":
        parts: tuple[int, ...] = (out_features // 2, out_features - out_features // 2)
    else:
        heads = int(text.num_attention_heads)
        head_dim = int(getattr(text, "head_dim", 0) or text.hidden_size // heads)
        kv = int(getattr(text, "num_key_value_heads", 0) or heads) * head_dim
        parts = (heads * head_dim, kv, kv)
    return parts if sum(parts) == out_features else ()


def _output_layer(model: nn.Module) -> nn.Module | None:
    get = getattr(model, "get_output_embeddings", None)
    if callable(get):
        head = get()
        return head if isinstance(head, nn.Module) else None
    return None


def _replace(model: nn.Module, name: str, new: nn.Module) -> None:
    parent_name, _, child = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, child, new)
