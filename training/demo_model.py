"""A small Llama-architecture base model built on this machine: a byte-level BPE tokenizer
with a chat template, and a model briefly pre-trained on generated generic English
(demo_corpus). It lets the demo and the benchmarks train and measure adapters on a CPU
with nothing downloaded. Tests build a tiny one the same way, from their own text.

Sizes (DEMO): 4 layers, width 160, 4 heads, MLP 432, vocabulary 2048, tied embeddings:
about 1.4M parameters; pre-trained 250 steps of 16 x 128 tokens (512k tokens) at lr 3e-3.
That takes under two minutes on two CPU cores (measured: benchmarks/bench_training.py).
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from panza.training import versions
from panza.training.demo_corpus import documents
from panza.training.errors import VersionError

DEMO_NAME = "panza-demo-llama-v1"
MANIFEST = "panza_demo_model.json"
SPECIALS = ("<|pad|>", "<|bos|>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>")
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}"
    "{{ '<|' + m['role'] + '|>\n' + m['content'] + '<|end|>\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}"
)


@dataclass(frozen=True)
class Size:
    """Architecture and pre-training budget."""

    hidden: int
    layers: int
    heads: int
    kv_heads: int
    intermediate: int
    vocab: int
    context: int = 1024
    steps: int = 250
    batch: int = 16
    seq: int = 128
    lr: float = 3e-3
    documents: int = 12000


DEMO = Size(hidden=160, layers=4, heads=4, kv_heads=4, intermediate=432, vocab=2048)
TINY = Size(
    hidden=32, layers=2, heads=4, kv_heads=2, intermediate=64, vocab=400, steps=0, documents=0
)


def build_tokenizer(
    texts: Sequence[str],
    vocab: int,
    specials: Sequence[str] = SPECIALS,
    chat_template: str = CHAT_TEMPLATE,
    **roles: str,
) -> Any:
    """Byte-level BPE (any text encodes, no unknown tokens) with a chat template.

    `roles` names the special tokens (bos_token, eos_token, pad_token); the demo's by default.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab,
        special_tokens=list(specials),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    names = roles or {"bos_token": "<|bos|>", "eos_token": "<|end|>", "pad_token": "<|pad|>"}
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, **names)  # type: ignore[no-untyped-call]
    fast.chat_template = chat_template
    return fast


def build(
    out: Path,
    size: Size = DEMO,
    texts: Sequence[str] | None = None,
    seed: int = 0,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> Path:
    """Build tokenizer and model into folder `out` (published atomically); returns `out`."""
    from transformers import LlamaConfig, LlamaForCausalLM

    start = time.monotonic()
    corpus = list(texts) if texts is not None else list(documents(size.documents, seed))
    tokenizer = build_tokenizer(corpus, size.vocab)
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=size.hidden,
        intermediate_size=size.intermediate,
        num_hidden_layers=size.layers,
        num_attention_heads=size.heads,
        num_key_value_heads=size.kv_heads,
        max_position_embeddings=size.context,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = LlamaForCausalLM(config)
    losses = _pretrain(model, tokenizer, corpus, size, seed, progress) if size.steps else []
    model.eval()  # type: ignore[no-untyped-call]
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    params = sum(p.numel() for p in model.parameters())
    info = {
        "format": 1,
        "size": asdict(size),
        "parameters": params,
        "final_loss": round(sum(losses[-10:]) / len(losses[-10:]), 4) if losses else None,
        "seconds": round(time.monotonic() - start, 1),
    }
    (staging / MANIFEST).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    try:
        versions.publish(staging, out)
    except VersionError:
        shutil.rmtree(staging, ignore_errors=True)
        if not (out / MANIFEST).is_file():
            raise
        # Another process built it meanwhile; theirs is as good as ours.
    return out


def _pretrain(
    model: torch.nn.Module,
    tokenizer: Any,
    corpus: Sequence[str],
    size: Size,
    seed: int,
    progress: Callable[[dict[str, Any]], None] | None,
) -> list[float]:
    """Next-token training on the packed corpus (documents joined by BOS ... END)."""
    stream: list[int] = []
    for text in corpus:
        stream += [tokenizer.bos_token_id, *tokenizer(text)["input_ids"], tokenizer.eos_token_id]
    data = torch.tensor(stream, dtype=torch.long)
    rng = random.Random(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=size.lr, weight_decay=0.01)
    warm = max(1, size.steps // 15)

    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (step - warm) / (size.steps - warm)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    losses = []
    model.train()
    for step in range(size.steps):
        starts = [rng.randrange(0, len(data) - size.seq - 1) for _ in range(size.batch)]
        batch = torch.stack([data[s : s + size.seq] for s in starts])
        loss = model(input_ids=batch, labels=batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        losses.append(float(loss.detach()))
        if progress is not None and (step + 1) % 10 == 0:
            progress(
                {"event": "pretrain", "step": step + 1, "total": size.steps, "loss": losses[-1]}
            )
    return losses


def ensure_demo_model(
    models_dir: Path, progress: Callable[[dict[str, Any]], None] | None = None
) -> Path:
    """The demo model's folder under `models_dir`, built on first use (about two minutes)."""
    out = models_dir / DEMO_NAME
    try:
        built = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        built = None
    if built is not None and built.get("size") == asdict(DEMO):
        return out
    # Absent, or made by a Panza with other demo settings: build it (again).
    shutil.rmtree(out, ignore_errors=True)
    return build(out, DEMO, progress=progress)
