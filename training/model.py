"""Load a base model and its tokenizer by Hugging Face id or local folder, never downloading
unless allowed; pick device and dtype; propose a base model for the hardware at hand.

torch and transformers are imported inside the functions: `panza init` calls
`suggest_base_model` and must not pay seconds of import time for it.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from panza.training.errors import ModelLoadError, ModelNotFoundError

if TYPE_CHECKING:
    import torch
    from torch import nn

# Used when a tokenizer has no chat template (plain base models): the turn ends with the
# tokenizer's own end-of-sequence token, so generation stops where the email ends.
FALLBACK_CHAT_TEMPLATE = (
    "{% if bos_token %}{{ bos_token }}{% endif %}"
    "{% for m in messages %}"
    "{% if m['role'] == 'assistant' %}### Assistant:\n{{ m['content'] }}{{ eos_token }}\n\n"
    "{% else %}### {{ m['role'] | capitalize }}:\n{{ m['content'] }}\n\n{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}### Assistant:\n{% endif %}"
)


@dataclass(frozen=True)
class ModelSpec:
    """Which model to load and how (mirrors the config's [model] section)."""

    name: str
    device: str = "auto"
    dtype: str = "auto"
    load_in_4bit: bool = False
    allow_download: bool = False


@dataclass
class Loaded:
    """A loaded causal LM with its tokenizer, where it lives, and the id manifests record."""

    model: nn.Module
    tokenizer: Any
    device: torch.device
    dtype: torch.dtype
    model_id: str


def pick_device(preference: str = "auto") -> torch.device:
    """CUDA, then Apple MPS, then CPU for "auto"; an explicit choice must be available."""
    import torch

    cuda, mps = torch.cuda.is_available(), torch.backends.mps.is_available()
    if preference == "auto":
        return torch.device("cuda" if cuda else "mps" if mps else "cpu")
    if (preference == "cuda" and not cuda) or (preference == "mps" and not mps):
        raise ModelLoadError(f"model.device is {preference!r} but no such device is available")
    return torch.device(preference)


def pick_dtype(preference: str, device: torch.device) -> torch.dtype:
    """An explicit choice as given; "auto" is bf16 where the device has bf16 units that
    measure faster than fp32, fp32 elsewhere (see panza.training.hardware)."""
    import torch

    if preference != "auto":
        return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[
            preference
        ]
    from panza.training.hardware import choose_compute

    return choose_compute(str(device)).torch_dtype()


def load_tokenizer(spec: ModelSpec) -> Any:
    """The model's tokenizer with a chat template and a pad token."""
    from transformers import AutoTokenizer

    location = _location(spec)
    tokenizer = _guarded(spec, lambda: AutoTokenizer.from_pretrained(location, **_hub(spec)))
    if not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = FALLBACK_CHAT_TEMPLATE
    if tokenizer.pad_token is None:
        # Padding positions are masked out of attention and loss, so any token will do.
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_base(spec: ModelSpec, tokenizer: Any | None = None) -> Loaded:
    """Load the frozen-to-be base model (eval mode) on the chosen device and dtype."""
    from panza.training.output_layer import fold_output_layer

    device = pick_device(spec.device)
    location = _location(spec)
    tok = tokenizer if tokenizer is not None else load_tokenizer(spec)
    if spec.load_in_4bit:
        import torch

        model, dtype = _load_4bit(spec, location), torch.bfloat16
    else:
        dtype = pick_dtype(spec.dtype, device)
        model = _load_dense(spec, location, dtype, device)
    fold_output_layer(model)  # its logits without a 467 MB copy per call (1.5B, bf16)
    return Loaded(model.eval(), tok, device, dtype, spec.name)


def _load_4bit(spec: ModelSpec, location: str) -> Any:
    from panza.training.rosa import QuantizationUnavailableError, load_4bit_base

    try:
        return _guarded(spec, lambda: load_4bit_base(location, **_hub(spec)))
    except QuantizationUnavailableError as exc:
        raise ModelLoadError(f"model.load_in_4bit: {exc}") from None


def _load_dense(spec: ModelSpec, location: str, dtype: torch.dtype, device: torch.device) -> Any:
    from transformers import AutoModelForCausalLM

    def from_pretrained(attention: str | None) -> Any:
        return AutoModelForCausalLM.from_pretrained(
            location, dtype=dtype, attn_implementation=attention, **_hub(spec)
        )

    try:
        # PyTorch's fused attention: no T x T score matrix kept per head for backward.
        model = _guarded(spec, lambda: from_pretrained("sdpa"))
    except ModelLoadError as exc:
        if "sdpa" not in str(exc).lower():
            raise
        model = _guarded(spec, lambda: from_pretrained(None))  # an architecture without it
    model.to(device)
    if device.type == "cpu":
        from panza.training.attention import use_decode_attention

        use_decode_attention(model)
    return model


def load_config(spec: ModelSpec) -> Any:
    """The model's transformers config (config.json only: no weights are read)."""
    from transformers import AutoConfig

    location = _location(spec)
    return _guarded(spec, lambda: AutoConfig.from_pretrained(location, **_hub(spec)))


def _location(spec: ModelSpec) -> str:
    name = spec.name.strip()
    if not name:
        raise ModelNotFoundError(
            "no base model is set: set model.base to a Hugging Face id or a folder"
        )
    path = Path(name).expanduser()
    looks_local = name.startswith((".", "/", "~")) or path.exists()
    if looks_local:
        if not path.is_dir():
            raise ModelNotFoundError(f"no model folder at {path}")
        return str(path.resolve())
    return name


def _hub(spec: ModelSpec) -> dict[str, Any]:
    # The token comes from HF_TOKEN in the environment (the daemon passes it to the child
    # that way) so it is never written into a job file.
    return {"local_files_only": not spec.allow_download}


def _guarded(spec: ModelSpec, load: Any) -> Any:
    """Run `load`, turning the Hub's many "not found" errors into one actionable message."""
    try:
        return load()
    except (OSError, ValueError) as exc:
        if not spec.allow_download and not Path(spec.name).expanduser().exists():
            raise ModelNotFoundError(
                f"model {spec.name!r} is not on this machine and downloads are off: set"
                " model.allow_download = true (once), or point the model at a local folder"
            ) from exc
        offline = " (HF_HUB_OFFLINE is set)" if os.environ.get("HF_HUB_OFFLINE") else ""
        raise ModelLoadError(f"cannot load model {spec.name!r}{offline}: {exc}") from exc


@dataclass(frozen=True)
class Hardware:
    """What the machine offers for training: GPU memory, Apple silicon, RAM."""

    cuda_gib: float | None
    apple_silicon: bool
    ram_gib: float


@dataclass(frozen=True)
class Suggestion:
    model: str
    load_in_4bit: bool
    why: str


def detect_hardware() -> Hardware:
    """Probe without importing torch (nvidia-smi for CUDA memory)."""
    cuda = None
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            out = subprocess.run(
                [smi, "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
                capture_output=True,
                text=True,
                timeout=5,
                check=True,
            ).stdout.split()
            cuda = max(float(x) for x in out) / 1024 if out else None
        except (OSError, subprocess.SubprocessError, ValueError):
            cuda = None
    apple = platform.system() == "Darwin" and platform.machine() == "arm64"
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        ram = 0.0
    return Hardware(cuda, apple, ram)


def suggest_base_model(hardware: Hardware | None = None) -> Suggestion:
    """A 7B instruct model with a >= 16 GB GPU (4-bit below 24 GB), else a 1.5-3B one."""
    hw = hardware if hardware is not None else detect_hardware()
    if hw.cuda_gib is not None and hw.cuda_gib >= 15.5:
        four_bit = hw.cuda_gib < 23.5
        how = "in 4-bit" if four_bit else "in bf16"
        return Suggestion(
            "Qwen/Qwen2.5-7B-Instruct", four_bit, f"a {hw.cuda_gib:.0f} GB GPU trains 7B {how}"
        )
    if hw.cuda_gib is not None:
        return Suggestion(
            "Qwen/Qwen2.5-3B-Instruct", False, f"a {hw.cuda_gib:.0f} GB GPU fits a 3B model"
        )
    if hw.apple_silicon and hw.ram_gib >= 31:
        return Suggestion(
            "Qwen/Qwen2.5-3B-Instruct", False, "Apple silicon with 32 GB or more fits 3B in fp32"
        )
    where = "Apple silicon" if hw.apple_silicon else "no GPU"
    return Suggestion(
        "Qwen/Qwen2.5-1.5B-Instruct", False, f"{where}: a 1.5B model keeps CPU training practical"
    )
