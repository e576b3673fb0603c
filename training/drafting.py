"""The drafting engine: the base model with an adapter version merged in, ready to stream.

On a CPU, drafts use a quantized copy of that merged model when one has been built for the
version (``vNNNN/draft-int4-f1/``: quantized weights, the base's config, a manifest). A copy
is made once per version, from the merged model in memory, and published atomically (built
in a hidden staging folder, renamed into place), so a crash while building leaves whatever
copy was there before; a version without a copy drafts with the merged model itself, in the
dtype the model spec gives. Both are torch modules: prompt, stop tokens and sampling are the
same code (:func:`panza.training.generate.stream`) whichever one drafts.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from panza.training import quant
from panza.training.attention import use_decode_attention
from panza.training.errors import VersionError
from panza.training.generate import stream
from panza.training.memory import machine_memory
from panza.training.model import ModelSpec, load_base, load_tokenizer
from panza.training.prompt import turn_suffix
from panza.training.prompt_cache import PromptCache
from panza.training.sampling import Sampling
from panza.training.versions import _alive, publish

COPY_FORMAT = 1
# int4 (int8 output matrix): chosen by measured speed and loss, benchmarks/notes/scale.md.
SCHEME: quant.Scheme = "int4"
WEIGHTS = "model.safetensors"
MANIFEST = "panza_draft_copy.json"
DEFAULT_CONTEXT = 2048
MIN_COPY_BYTES = 256 * 2**20
# A copy keeps its layers' dequantized weights for prompts when they fit in this share of
# memory (1.5B: 2.6 GB in bf16): the prompt's first token then comes without dequantizing.
DENSE_SHARE = 0.25


@dataclass(frozen=True)
class CopyManifest:
    """What a quantized drafting copy is: of which version and base, in which format."""

    format: int
    version: int
    base: str
    scheme: quant.Scheme
    dtype: str
    layers: dict[str, quant.Scheme]

    @classmethod
    def read(cls, folder: Path) -> CopyManifest:
        try:
            data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            return cls(**data)
        except (OSError, ValueError, TypeError) as exc:
            raise VersionError(f"unreadable drafting copy {folder.name}: {exc}") from None


@dataclass
class DraftModel:
    """A model that drafts for one adapter version, and how it stops."""

    model: nn.Module
    tokenizer: Any
    version: int
    engine: str  # "int4" / "int8" for a quantized copy, else the dtype ("bfloat16", "float32")
    stop_ids: list[int]
    context: int
    prompts: PromptCache = field(default_factory=PromptCache, repr=False)

    @property
    def quantized(self) -> bool:
        return self.engine in quant.SCHEMES

    def stream(
        self,
        prompt_ids: Sequence[int],
        max_new_tokens: int,
        sampling: Sampling,
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        """The draft's text, piece by piece (see :func:`panza.training.generate.stream`)."""
        return stream(
            self.model,
            self.tokenizer,
            prompt_ids,
            max_new_tokens=max_new_tokens,
            sampling=sampling,
            stop_ids=self.stop_ids,
            cancel=cancel,
            prompts=self.prompts,
        )


def copy_dir(adapter: Path, scheme: quant.Scheme = SCHEME) -> Path:
    """Where the version in folder `adapter` keeps its drafting copy in `scheme`."""
    return adapter / f"draft-{scheme}-f{COPY_FORMAT}"


def copies_wanted(model: nn.Module, min_bytes: int = MIN_COPY_BYTES) -> bool:
    """Quantized copies pay off where decoding is bound by memory bandwidth: on a CPU, for
    weights far larger than its caches (a model of a few MB gains nothing, loses quality)."""
    device = next(model.parameters()).device
    return device.type == "cpu" and quant.weight_bytes(model) >= min_bytes


def load_merged(spec: ModelSpec, adapter: Path, version: int) -> DraftModel:
    """The base model with the adapter in `adapter` folded into its weights."""
    from panza.training.rosa.methods import load

    base = load_base(spec)
    model = load(base.model, adapter).merged().eval()
    engine = str(base.dtype).removeprefix("torch.")
    return wrap(model, base.tokenizer, version, engine)


def load_copy(spec: ModelSpec, adapter: Path, scheme: quant.Scheme = SCHEME) -> DraftModel | None:
    """The version's quantized copy, or None when it has none (for this base and format)."""
    folder = copy_dir(adapter, scheme)
    if not (folder / MANIFEST).is_file():
        return None
    manifest = CopyManifest.read(folder)
    if manifest.format != COPY_FORMAT or manifest.base != spec.name:
        return None
    from safetensors.torch import load_file
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(folder)
    model = materialize(config, manifest, load_file(folder / WEIGHTS))
    return wrap(model, load_tokenizer(spec), manifest.version, manifest.scheme)


def build_copy(
    merged: DraftModel, spec: ModelSpec, adapter: Path, scheme: quant.Scheme = SCHEME
) -> DraftModel:
    """Quantize `merged` (left as it is), publish the copy beside the version, return it."""
    from safetensors.torch import save_file

    model = merged.model
    config: Any = getattr(model, "config")  # noqa: B009 (nn.Module's typing hides it)
    dtype = next(model.parameters()).dtype
    layers = quant.plan(model, scheme)
    tensors = _unquantized_tensors(model, layers, dtype)
    for name, kind in layers.items():
        linear = model.get_submodule(name)
        assert isinstance(linear, nn.Linear)
        for key, tensor in quant.quantize_linear(linear, kind, dtype).items():
            tensors[f"{name}.{key}"] = tensor
    manifest = CopyManifest(
        COPY_FORMAT, merged.version, spec.name, scheme, str(dtype).removeprefix("torch."), layers
    )
    final = copy_dir(adapter, scheme)
    _remove_staging(adapter)
    staging = adapter / f".{final.name}.partial-{os.getpid()}"
    staging.mkdir()
    try:
        save_file(tensors, str(staging / WEIGHTS))
        config.save_pretrained(staging)
        text = json.dumps(asdict(manifest), indent=2, sort_keys=True) + "\n"
        (staging / MANIFEST).write_text(text, encoding="utf-8")
        shutil.rmtree(final, ignore_errors=True)  # a stale copy of the same format
        publish(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    copy = materialize(config, manifest, tensors)
    return wrap(copy, merged.tokenizer, merged.version, scheme)


def materialize(config: Any, manifest: CopyManifest, tensors: dict[str, torch.Tensor]) -> nn.Module:
    """The model `config` describes, with quantized layers, from a copy's tensors."""
    from accelerate import init_empty_weights
    from transformers import AutoModelForCausalLM

    config = _untied(config)
    dtype = getattr(torch, manifest.dtype)
    # Parameters on the meta device (no memory, no random init), buffers (rotary
    # frequencies) real: the tensors below replace every parameter.
    with init_empty_weights(include_buffers=False):
        model: nn.Module = AutoModelForCausalLM.from_config(  # type: ignore[no-untyped-call]
            config, dtype=dtype
        )
    dense = _dense_fits(tensors, manifest)
    for name, scheme in manifest.layers.items():
        prefix = f"{name}."
        own = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
        quant.replace(model, name, quant.make_layer(scheme, own, dtype, dense))
    rest = {k: v for k, v in tensors.items() if k.rpartition(".")[0] not in manifest.layers}
    model.load_state_dict(rest, strict=False, assign=True)
    left = [n for n, t in [*model.named_parameters(), *model.named_buffers()] if t.is_meta]
    if left:
        raise VersionError(f"the drafting copy lacks weights: {', '.join(left[:3])}")
    use_decode_attention(model)
    model.eval()
    return model


def _dense_fits(tensors: dict[str, torch.Tensor], manifest: CopyManifest) -> bool:
    """Whether the quantized layers' dequantized weights (kept for fast prompts) take at most
    DENSE_SHARE of this machine's memory; where not, each prompt dequantizes them again."""
    weights = (
        tensors[f"{name}.{'nibbles' if s == 'int4' else 'qweight'}"]
        for name, s in manifest.layers.items()
    )
    elements = sum(w.numel() * (2 if w.dtype == torch.uint8 else 1) for w in weights)
    itemsize: int = getattr(torch, manifest.dtype).itemsize
    return elements * itemsize <= DENSE_SHARE * machine_memory()


def _unquantized_tensors(
    model: nn.Module, layers: dict[str, quant.Scheme], dtype: torch.dtype
) -> dict[str, torch.Tensor]:
    out = {}
    for key, tensor in model.state_dict().items():
        owner, _, leaf = key.rpartition(".")
        if owner in layers and leaf in ("weight", "bias"):
            continue
        out[key] = tensor.to(dtype) if tensor.is_floating_point() else tensor
    return out


def _untied(config: Any) -> Any:
    # The output matrix is quantized on its own, so it is no longer the input embedding's.
    config = type(config).from_dict(config.to_dict())
    config.tie_word_embeddings = False
    text = config.get_text_config()
    if text is not config:
        text.tie_word_embeddings = False
    return config


def _remove_staging(adapter: Path) -> None:
    """Drop copies a crashed build left half-written (hidden `.draft-*.partial-PID`)."""
    for path in adapter.glob(".draft-*.partial-*"):
        pid = path.name.rpartition("-")[2]
        if not pid.isdigit() or not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def wrap(model: nn.Module, tokenizer: Any, version: int, engine: str) -> DraftModel:
    """`model` as a drafting model: its stop tokens from the chat template, its context."""
    stop = tokenizer.convert_tokens_to_ids(turn_suffix(tokenizer))
    stop_ids = sorted(
        i
        for i in {tokenizer.eos_token_id, stop if isinstance(stop, int) else None}
        if i is not None and i != tokenizer.unk_token_id
    )
    config = getattr(model, "config", None)
    context = int(getattr(config, "max_position_embeddings", 0) or 0) or DEFAULT_CONTEXT
    return DraftModel(model, tokenizer, version, engine, stop_ids, context)
