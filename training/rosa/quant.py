"""QRoSA: a 4-bit NF4 base through bitsandbytes, available only with CUDA.

bitsandbytes is imported lazily so that CPU-only installs never need it.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from panza.training.rosa.errors import QuantizationUnavailableError


def four_bit_unavailable_reason() -> str | None:
    """Why a 4-bit base cannot be used here, or None when it can."""
    if not torch.cuda.is_available():
        return "a 4-bit (NF4) base needs a CUDA GPU; none is available (use an fp32/bf16 base)"
    try:
        import bitsandbytes  # noqa: F401
    except ImportError:
        return "a 4-bit (NF4) base needs bitsandbytes: pip install 'panza[gpu]'"
    return None


def require_4bit() -> None:
    """Raise QuantizationUnavailableError unless CUDA and bitsandbytes are both present."""
    reason = four_bit_unavailable_reason()
    if reason is not None:
        raise QuantizationUnavailableError(reason)


def nf4_quantization_config(compute_dtype: torch.dtype = torch.bfloat16) -> Any:
    """transformers BitsAndBytesConfig for QRoSA: NF4, double quantization, bf16 compute."""
    require_4bit()
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(  # type: ignore[no-untyped-call]
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=compute_dtype,
    )


def load_4bit_base(model_id: str, **kwargs: Any) -> nn.Module:
    """Load a causal LM with its Linear layers quantized to NF4 (frozen base for QRoSA)."""
    quantization_config = nf4_quantization_config()
    from transformers import AutoModelForCausalLM

    model: nn.Module = AutoModelForCausalLM.from_pretrained(
        model_id, quantization_config=quantization_config, dtype=torch.bfloat16, **kwargs
    )
    return model


def is_4bit_linear(module: nn.Module) -> bool:
    """Whether `module` is a bitsandbytes Linear4bit (checked without importing bitsandbytes)."""
    return type(module).__name__ == "Linear4bit" and hasattr(module.weight, "quant_state")


def dequantized_weight(module: nn.Module) -> Tensor:
    """The dense (out x in) weight of a Linear4bit, in its compute dtype."""
    import bitsandbytes.functional as bnbf

    weight: Any = module.weight
    dense: Tensor = bnbf.dequantize_4bit(weight.data, weight.quant_state)
    dtype = getattr(module, "compute_dtype", None) or dense.dtype
    return dense.to(dtype)
