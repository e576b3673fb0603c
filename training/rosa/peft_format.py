"""Save and load RoSA adapters in peft's folder shape, with our own loader.

An adapter folder holds `adapter_config.json` (peft_type "ROSA", base_model_name_or_path,
r, lora_alpha, lora_dropout, target_modules, plus a "panza_rosa" block: our format and
package versions, the full RosaConfig, the exact adapted layers and their shapes) and
`adapter_model.safetensors` (per layer `base_model.model.<name>.{lora_A, lora_B,
sparse_values, sparse_index}`, peft's key prefix). The mask travels as `sparse_index`,
so no mask file is needed to load an adapter.

Why not peft's own `save_pretrained` / `PeftModel.from_pretrained`: peft's
`register_peft_method` accepts only members of its `PeftType` enum, a closed stdlib
`str` Enum with no ROSA. Adding a member means editing the enum's private tables
(`_member_map_`, `_value2member_map_`, `_member_names_`) for the whole process, which
every peft release may break (the save path changed between 0.17 and 0.21), and our
dependency range (peft>=0.13) predates `register_peft_method` (0.15). A ~100-line loader
in the same shape is sturdier; plain LoRA still goes through peft itself (methods.py).
"""

from __future__ import annotations

import dataclasses
import json
from importlib import metadata
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import Tensor, nn

from panza.training.atomic import replace_atomically
from panza.training.rosa.config import RosaConfig
from panza.training.rosa.errors import AdapterFormatError
from panza.training.rosa.model import RosaModel

CONFIG_NAME = "adapter_config.json"
WEIGHTS_NAME = "adapter_model.safetensors"
PEFT_TYPE = "ROSA"
FORMAT_VERSION = 1
KEY_PREFIX = "base_model.model."
TENSOR_NAMES = ("lora_A", "lora_B", "sparse_values", "sparse_index")


def panza_version() -> str:
    """The installed panza version (recorded in every adapter)."""
    try:
        return metadata.version("panza")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def save_adapter(rosa: RosaModel, path: str | Path) -> None:
    """Write `rosa`'s adapters (with masks) to folder `path`; each file is replaced atomically."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    tensors: dict[str, Tensor] = {}
    for name, layer in rosa.layers.items():
        for t in TENSOR_NAMES:
            tensors[f"{KEY_PREFIX}{name}.{t}"] = getattr(layer, t).detach().cpu().contiguous()
    config = _config_json(rosa)
    # Weights first, config last: a folder with a config always has matching weights.
    replace_atomically(
        folder / WEIGHTS_NAME, lambda tmp: save_file(tensors, str(tmp), metadata={"format": "pt"})
    )
    text = json.dumps(config, indent=2, sort_keys=True) + "\n"
    replace_atomically(folder / CONFIG_NAME, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def read_adapter_config(path: str | Path) -> dict[str, Any]:
    """The parsed adapter_config.json of a RoSA adapter folder (checked to be ours)."""
    file = Path(path) / CONFIG_NAME
    if not file.is_file():
        raise AdapterFormatError(f"no {CONFIG_NAME} in {path}")
    data: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
    if data.get("peft_type") != PEFT_TYPE:
        raise AdapterFormatError(
            f"{path} holds a {data.get('peft_type')!r} adapter, not a RoSA one"
        )
    block = data.get("panza_rosa")
    if not isinstance(block, dict) or int(block.get("format_version", 0)) < 1:
        raise AdapterFormatError(f"{file} lacks the panza_rosa block")
    if int(block["format_version"]) > FORMAT_VERSION:
        raise AdapterFormatError(
            f"{path} was written by a newer panza (format {block['format_version']}, "
            f"panza {block.get('panza_version')}); upgrade panza to load it"
        )
    return data


def load_adapter(model: nn.Module, path: str | Path) -> RosaModel:
    """Wrap `model` (the adapter's base, unmodified) and fill in the saved adapters and masks."""
    block = read_adapter_config(path)["panza_rosa"]
    stored = RosaConfig.from_dict(block["config"])
    # The masks come with the weights; a mask path from the training run must not be re-read.
    config = dataclasses.replace(
        stored, mask_load_path=None, mask_save_path=None, stop_after_mask=False
    )
    layers: dict[str, list[int]] = block["layers"]
    for name, (out_f, in_f) in layers.items():
        try:
            base = model.get_submodule(name)
        except AttributeError as e:
            raise AdapterFormatError(
                f"the model has no layer {name!r} that the adapter adapts"
            ) from e
        shape = (getattr(base, "out_features", None), getattr(base, "in_features", None))
        if shape != (out_f, in_f):
            raise AdapterFormatError(
                f"layer {name} is {shape}, the adapter was made for {(out_f, in_f)}"
            )
    rosa = RosaModel(model, config, layer_names=list(layers))
    tensors = load_file(str(Path(path) / WEIGHTS_NAME))
    expected = {f"{KEY_PREFIX}{n}.{t}" for n in layers for t in TENSOR_NAMES}
    if set(tensors) != expected:
        missing, extra = sorted(expected - set(tensors)), sorted(set(tensors) - expected)
        raise AdapterFormatError(
            f"adapter weights do not match its config: missing {missing[:3]}, extra {extra[:3]}"
        )
    for name, layer in rosa.layers.items():
        state = {t: tensors[f"{KEY_PREFIX}{name}.{t}"] for t in TENSOR_NAMES}
        try:
            layer.load_state_dict(state, strict=False)
        except RuntimeError as e:
            raise AdapterFormatError(f"adapter tensors for {name} do not fit: {e}") from e
    return rosa


def _config_json(rosa: RosaModel) -> dict[str, Any]:
    c = rosa.config
    return {
        "peft_type": PEFT_TYPE,
        "task_type": "CAUSAL_LM",
        "base_model_name_or_path": c.base_model or _name_or_path(rosa.model),
        "r": c.r,
        "lora_alpha": c.alpha,
        "lora_dropout": c.dropout,
        "target_modules": c.to_dict()["target_modules"],
        "inference_mode": True,
        "panza_rosa": {
            "format_version": FORMAT_VERSION,
            "panza_version": panza_version(),
            "torch_version": torch.__version__,
            "config": c.to_dict(),
            "layers": {n: list(s) for n, s in rosa.shapes().items()},
        },
    }


def _name_or_path(model: nn.Module) -> str | None:
    cfg = getattr(model, "config", None)
    name = getattr(cfg, "name_or_path", None) or getattr(cfg, "_name_or_path", None)
    return str(name) if name else None
