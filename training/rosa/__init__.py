"""RoSA: LoRA plus a sparse adapter on a gradient-chosen mask, in pure PyTorch (CPU and CUDA).

The transformers callback lives in panza.training.rosa.callback, apart, so that importing
the tuner does not import the Trainer.
"""

from panza.training.rosa.config import ALL_LINEAR, GradMode, Impl, RosaConfig
from panza.training.rosa.errors import (
    AdapterFormatError,
    MaskError,
    QuantizationUnavailableError,
    RosaConfigError,
    RosaError,
)
from panza.training.rosa.layer import RosaLinear
from panza.training.rosa.mask import GradientCollector, load_masks, save_masks, topk_index
from panza.training.rosa.methods import (
    FullMethodConfig,
    LoraMethodConfig,
    MethodConfig,
    Tuned,
    load,
    method_config,
    prepare,
)
from panza.training.rosa.model import RosaModel, target_names
from panza.training.rosa.peft_format import load_adapter, read_adapter_config, save_adapter
from panza.training.rosa.quant import (
    four_bit_unavailable_reason,
    load_4bit_base,
    nf4_quantization_config,
    require_4bit,
)
from panza.training.rosa.schedule import Phase, RosaScheduler
from panza.training.settings import METHODS, MethodName

__all__ = [
    "ALL_LINEAR",
    "METHODS",
    "AdapterFormatError",
    "FullMethodConfig",
    "GradMode",
    "GradientCollector",
    "Impl",
    "LoraMethodConfig",
    "MaskError",
    "MethodConfig",
    "MethodName",
    "Phase",
    "QuantizationUnavailableError",
    "RosaConfig",
    "RosaConfigError",
    "RosaError",
    "RosaLinear",
    "RosaModel",
    "RosaScheduler",
    "Tuned",
    "four_bit_unavailable_reason",
    "load",
    "load_4bit_base",
    "load_adapter",
    "load_masks",
    "method_config",
    "nf4_quantization_config",
    "prepare",
    "read_adapter_config",
    "require_4bit",
    "save_adapter",
    "save_masks",
    "target_names",
    "topk_index",
]
