"""Training-test fixtures: a tiny Llama built in-process (no downloads) and a train loop."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import pytest
import torch
from torch import Tensor, nn

from tests.model_fixtures import learn_home, store, tiny_base, tokenizer, trained  # noqa: F401

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

VOCAB = 256


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    """Tiny models gain nothing from threads, and on a shared 2-core box OpenMP spin-waits
    make them up to 100x slower; restore the setting so other test folders are unaffected."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


class StepHooks(Protocol):
    def on_step_begin(self, step: int) -> Any: ...
    def on_step_end(self, step: int) -> bool: ...


def build_tiny_llama(seed: int = 0) -> nn.Module:
    """A 2-layer, 64-wide Llama with random weights, fp32 on the CPU."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=VOCAB,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=64,
    )
    model = LlamaForCausalLM(config)
    model.config.name_or_path = "tests/tiny-llama"
    return model.eval()


@pytest.fixture
def tiny_llama() -> Callable[[int], nn.Module]:
    return build_tiny_llama


@pytest.fixture
def batch() -> Tensor:
    """Fixed token ids (4 sequences of 16) that a model can learn to predict."""
    g = torch.Generator().manual_seed(1234)
    return torch.randint(0, VOCAB, (4, 16), generator=g)


def lm_loss(model: nn.Module, ids: Tensor) -> Tensor:
    loss: Tensor = model(input_ids=ids, labels=ids).loss
    return loss


def train(
    model: nn.Module,
    groups: list[dict[str, Any]],
    hooks: StepHooks | None,
    ids: Tensor,
    steps: int,
    micro_batches: int = 2,
) -> list[float]:
    """A minimal loop (AdamW, gradient accumulation over micro-batches); returns per-step loss."""
    opt = torch.optim.AdamW(groups, weight_decay=0.0)
    chunks = ids.chunk(micro_batches)
    losses = []
    model.train()
    for step in range(steps):
        if hooks is not None:
            hooks.on_step_begin(step)
        total = 0.0
        for chunk in chunks:
            loss = lm_loss(model, chunk) / len(chunks)
            loss.backward()
            total += float(loss.detach())
        opt.step()
        opt.zero_grad(set_to_none=True)
        losses.append(total)
        if hooks is not None and hooks.on_step_end(step):
            break
    model.eval()
    return losses


@pytest.fixture
def train_loop() -> Callable[..., list[float]]:
    return train


def random_items(n: int, length: int, prompt: int, seed: int = 5, vocab: int = VOCAB) -> list[Any]:
    """`n` training items of random token ids: `prompt` unscored tokens, then the email."""
    from panza.training.dataset import Item
    from panza.training.prompt import IGNORE, Encoded

    g = torch.Generator().manual_seed(seed)
    out = []
    for i in range(n):
        ids = torch.randint(1, vocab, (length,), generator=g).tolist()
        out.append(Item(str(i), str(i), Encoded(ids, [IGNORE] * prompt + ids[prompt:], prompt)))
    return out
