"""A whole prompt with the old and the new output layer, alternated in one process.

Run: HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/scale_output_layer.py [--rounds 3]
     [--model-dir benchmarks/out/models/qwen2.5-1.5b]

The Qwen2.5-1.5B-shaped model (scale_models.py) in bf16 with every weight frozen, as a
merged adapter's model is, reads bench_scale's 1,084-token prompt for its last row's logits,
once with ``nn.Linear`` as its output layer and once with ``FoldedLinear``
(panza.training.output_layer), per round. Prints seconds per prompt for each.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def main() -> int:
    import torch
    from scale_models import profile_for, request
    from torch import nn

    from panza.training.model import ModelSpec, load_base
    from panza.training.output_layer import FoldedLinear
    from panza.training.prompt import encode_prompt

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--model-dir", type=Path, default=ROOT / "benchmarks/out/models/qwen2.5-1.5b"
    )
    args = parser.parse_args()
    base = load_base(ModelSpec(str(args.model_dir), dtype="bfloat16"))
    model = base.model.requires_grad_(False)
    prompt = encode_prompt(base.tokenizer, profile_for(), request(base.tokenizer, 1000), 10**6)
    ids = torch.tensor([prompt.input_ids])
    head: nn.Module = model.get_output_embeddings()  # type: ignore[operator]
    seconds: dict[str, list[float]] = {"nn.Linear": [], "FoldedLinear": []}
    for _ in range(args.rounds):
        for name, cls in (("nn.Linear", nn.Linear), ("FoldedLinear", FoldedLinear)):
            head.__class__ = cls
            with torch.inference_mode():
                start = time.perf_counter()
                model(input_ids=ids, logits_to_keep=1)
                seconds[name].append(round(time.perf_counter() - start, 2))
    print(json.dumps({"prompt_tokens": ids.shape[1], "seconds": seconds}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
