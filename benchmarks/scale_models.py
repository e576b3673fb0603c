"""Real-size model shapes for the scale benchmarks, built locally with random weights.

Qwen2.5-0.5B / 1.5B / 3B / 7B: the published configs (hidden size, layers, heads, KV heads,
MLP width, tied embeddings, rope theta, biased q/k/v) and the real 151,936-token (7B:
152,064) vocabulary, so every matrix, the KV cache and the logits are the size a user's
model has. The tokenizer is a byte-level BPE trained here on generic English
(`panza.training.demo_corpus`) with Qwen2.5's special tokens and its real chat template, so
drafts take the real prompt path. Embedding (and untied output) rows past the tokenizer's
vocabulary are zero, and so are the end-of-turn rows: top-k sampling then stays on tokens
that decode, and a random model never stops early (a draft is exactly the tokens asked for).

    from benchmarks.scale_models import QWEN25_1_5B, ensure_model, stream_bandwidth
    folder = ensure_model(QWEN25_1_5B)          # cached under benchmarks/out/models/
    gbps = stream_bandwidth()                    # the machine's streaming-read limit, GB/s

Run alone: `.venv/bin/python benchmarks/scale_models.py [0.5b|1.5b|3b|7b ...]` builds the
folders and prints their sizes and the bandwidth. A 1.5B build peaks near 7 GB RSS: run it
under `flock /work/bigmodel.lock`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

MODELS_DIR = Path(__file__).resolve().parent / "out" / "models"
MANIFEST = "panza_scale_model.json"
FORMAT = 1
TOKENIZER_VOCAB = 8192
TOKENIZER_DOCUMENTS = 6000
EOS, PAD, START = "<|im_end|>", "<|endoftext|>", "<|im_start|>"

# Qwen2.5-Instruct's chat template as published (tools branch included), so that
# `panza.training.prompt` renders exactly what it renders for the real model.
QWEN25_CHAT_TEMPLATE = (
    "{%- if tools %}\n    {{- '<|im_start|>system\\n' }}\n"
    "    {%- if messages[0]['role'] == 'system' %}\n        {{- messages[0]['content'] }}\n"
    "    {%- else %}\n"
    "        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}\n"
    "    {%- endif %}\n"
    '    {{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user'
    " query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:"
    '\\n<tools>" }}\n'
    '    {%- for tool in tools %}\n        {{- "\\n" }}\n        {{- tool | tojson }}\n'
    "    {%- endfor %}\n"
    '    {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name'
    ' and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\":'
    ' <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}\n'
    "{%- else %}\n    {%- if messages[0]['role'] == 'system' %}\n"
    "        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\n"
    "    {%- else %}\n"
    "        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful"
    " assistant.<|im_end|>\\n' }}\n"
    "    {%- endif %}\n{%- endif %}\n"
    "{%- for message in messages %}\n"
    '    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or'
    ' (message.role == "assistant" and not message.tool_calls) %}\n'
    "        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>'"
    " + '\\n' }}\n"
    '    {%- elif message.role == "assistant" %}\n'
    "        {{- '<|im_start|>' + message.role }}\n"
    "        {%- if message.content %}\n            {{- '\\n' + message.content }}\n"
    "        {%- endif %}\n"
    "        {%- for tool_call in message.tool_calls %}\n"
    "            {%- if tool_call.function is defined %}\n"
    "                {%- set tool_call = tool_call.function %}\n            {%- endif %}\n"
    '            {{- \'\\n<tool_call>\\n{"name": "\' }}\n            {{- tool_call.name }}\n'
    '            {{- \'", "arguments": \' }}\n            {{- tool_call.arguments | tojson }}\n'
    "            {{- '}\\n</tool_call>' }}\n        {%- endfor %}\n"
    "        {{- '<|im_end|>\\n' }}\n"
    '    {%- elif message.role == "tool" %}\n'
    '        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}\n'
    "            {{- '<|im_start|>user' }}\n        {%- endif %}\n"
    "        {{- '\\n<tool_response>\\n' }}\n        {{- message.content }}\n"
    "        {{- '\\n</tool_response>' }}\n"
    '        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}\n'
    "            {{- '<|im_end|>\\n' }}\n        {%- endif %}\n    {%- endif %}\n"
    "{%- endfor %}\n"
    "{%- if add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n' }}\n{%- endif %}\n"
)


@dataclass(frozen=True)
class Shape:
    """A Qwen2-architecture shape as its published config.json states it."""

    name: str
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    intermediate: int
    tied: bool
    vocab: int = 151936
    rope_theta: float = 1_000_000.0
    max_positions: int = 32768
    rms_eps: float = 1e-6

    @property
    def parameters(self) -> int:
        """Parameter count (what the built model has; checked when it is built)."""
        head = self.hidden // self.heads
        kv = self.kv_heads * head
        attn = self.hidden * (self.hidden + 2 * kv) + (self.hidden + 2 * kv) + self.hidden**2
        mlp = 3 * self.hidden * self.intermediate
        layer = attn + mlp + 2 * self.hidden
        embed = self.vocab * self.hidden * (1 if self.tied else 2)
        return self.layers * layer + embed + self.hidden


QWEN25_0_5B = Shape("qwen2.5-0.5b", 896, 24, 14, 2, 4864, tied=True)
QWEN25_1_5B = Shape("qwen2.5-1.5b", 1536, 28, 12, 2, 8960, tied=True)
QWEN25_3B = Shape("qwen2.5-3b", 2048, 36, 16, 2, 11008, tied=True)
QWEN25_7B = Shape("qwen2.5-7b", 3584, 28, 28, 4, 18944, tied=False, vocab=152064)
SHAPES = {"0.5b": QWEN25_0_5B, "1.5b": QWEN25_1_5B, "3b": QWEN25_3B, "7b": QWEN25_7B}


def build_tokenizer(vocab: int = TOKENIZER_VOCAB, documents: int = TOKENIZER_DOCUMENTS) -> Any:
    """Byte-level BPE on generic English, with Qwen2.5's special tokens and chat template."""
    from panza.training import demo_corpus, demo_model

    return demo_model.build_tokenizer(
        list(demo_corpus.documents(documents, seed=7)),
        vocab,
        specials=(PAD, START, EOS),
        chat_template=QWEN25_CHAT_TEMPLATE,
        eos_token=EOS,
        pad_token=PAD,
    )


def build(shape: Shape, out: Path, seed: int = 0) -> Path:
    """Random-weight model + tokenizer into `out` (bf16 safetensors, published atomically)."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from panza.training import versions

    tokenizer = build_tokenizer()
    config = Qwen2Config(
        vocab_size=shape.vocab,
        hidden_size=shape.hidden,
        intermediate_size=shape.intermediate,
        num_hidden_layers=shape.layers,
        num_attention_heads=shape.heads,
        num_key_value_heads=shape.kv_heads,
        max_position_embeddings=shape.max_positions,
        rope_theta=shape.rope_theta,
        rms_norm_eps=shape.rms_eps,
        tie_word_embeddings=shape.tied,
        bos_token_id=None,
        eos_token_id=tokenizer.convert_tokens_to_ids(EOS),
        pad_token_id=tokenizer.convert_tokens_to_ids(PAD),
        dtype="bfloat16",
    )
    torch.manual_seed(seed)
    with torch.device("cpu"):
        model = Qwen2ForCausalLM(config).to(torch.bfloat16)
    params = sum(p.numel() for p in model.parameters())
    if params != shape.parameters:
        raise RuntimeError(f"{shape.name}: built {params} parameters, expected {shape.parameters}")
    _silence_rows(model, tokenizer)
    staging = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    info = {"format": FORMAT, "shape": asdict(shape), "parameters": params}
    info["tokenizer_vocab"] = len(tokenizer)
    (staging / MANIFEST).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    del model
    versions.publish(staging, out)
    return out


def _silence_rows(model: Any, tokenizer: Any) -> None:
    """Zero the rows no text decodes to (past the vocabulary) and the end-of-turn rows."""
    import torch

    silent = list(range(len(tokenizer), model.config.vocab_size))
    silent += [tokenizer.convert_tokens_to_ids(t) for t in (EOS, PAD)]
    index = torch.tensor(silent, dtype=torch.long)
    with torch.no_grad():
        model.get_input_embeddings().weight[index] = 0
        model.get_output_embeddings().weight[index] = 0  # the same tensor when tied


def ensure_model(shape: Shape, root: Path = MODELS_DIR) -> Path:
    """The shape's model folder under `root`, built on first use (then reused)."""
    out = root / shape.name
    try:
        built = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        built = None
    if built is not None and built.get("format") == FORMAT and built["shape"] == asdict(shape):
        return out
    shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    return build(shape, out)


def weight_bytes(shape: Shape, bytes_per_weight: float, embed_bytes: float | None = None) -> int:
    """Bytes of weights one decode step reads: every layer, the norms, and the output matrix.

    The input embedding is a row lookup (one row per token), so it is not counted, except
    where it is the output matrix too (tied): then it is read whole for the logits.
    `embed_bytes` is the output matrix's bytes per weight when it is kept in another format.
    """
    layers = shape.parameters - shape.vocab * shape.hidden * (1 if shape.tied else 2)
    head = shape.vocab * shape.hidden * (bytes_per_weight if embed_bytes is None else embed_bytes)
    return int(layers * bytes_per_weight + head)


def stream_bandwidth(gib: float = 1.0, repeats: int = 5) -> float:
    """The streaming-read bandwidth of this machine in GB/s (best of `repeats` full reads).

    A reduction over a buffer far larger than the caches, on every core torch uses: the
    physical limit a decode step that reads each weight once per token runs into.
    """
    import torch

    data = torch.ones(int(gib * 2**30) // 4, dtype=torch.float32)
    data.sum()  # touch every page first
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        data.sum()
        best = min(best, time.perf_counter() - start)
    return data.numel() * 4 / best / 1e9


def request(tokenizer: Any, tokens: int) -> Any:
    """Preamble + 3 retrieved emails + a 3-message thread, grown until ~`tokens` tokens."""
    from panza.training.demo_corpus import documents
    from panza.training.prompt import PastEmail, Request, ThreadMessage

    texts = iter(documents(400, seed=3))
    retrieved, thread = ["", "", ""], ["", "", ""]
    profile = profile_for()
    while True:
        req = Request(
            "Tell Anna I cannot come on Friday but could meet next week.",
            tuple(
                PastEmail(f"Re: plans {i}", t, f"2024-05-0{i + 1}") for i, t in enumerate(retrieved)
            ),
            tuple(ThreadMessage("Anna", t, None) for t in thread),
        )
        if count(tokenizer, profile, req) >= tokens:
            return req
        slot = min(range(6), key=lambda i: len((retrieved + thread)[i]))
        target = retrieved if slot < 3 else thread
        target[slot % 3] = (target[slot % 3] + " " + next(texts)).strip()


def profile_for() -> Any:
    from panza.training.prompt import Profile

    return Profile("Ada Whitfield", "Best,\nAda", "I run a research lab in Vienna.")


def count(tokenizer: Any, profile: Any, req: Any) -> int:
    from panza.training.prompt import encode_prompt

    return len(encode_prompt(tokenizer, profile, req, 10**6).input_ids)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("shapes", nargs="*", default=["0.5b", "1.5b"], choices=sorted(SHAPES))
    args = parser.parse_args(argv)
    for key in args.shapes:
        shape = SHAPES[key]
        start = time.monotonic()
        folder = ensure_model(shape)
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        print(
            f"{shape.name}: {shape.parameters / 1e9:.2f}B parameters, {size / 2**30:.2f} GiB"
            f" at {folder} ({time.monotonic() - start:.0f} s)"
        )
    print(f"streaming read: {stream_bandwidth():.1f} GB/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
