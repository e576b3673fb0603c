"""Decode attention (panza.training.attention): the same numbers as SDPA, one token at a time."""

from __future__ import annotations

import pytest
import torch

from panza.training.attention import NAME, use_decode_attention


@pytest.mark.parametrize(("heads", "kv_heads"), [(8, 2), (4, 4)])  # grouped (GQA), and not
def test_decode_steps_give_the_logits_sdpa_gives(heads: int, kv_heads: int) -> None:
    from transformers import AutoModelForCausalLM, Qwen2Config

    config = Qwen2Config(
        vocab_size=300,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
    )
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, attn_implementation="sdpa").eval()
    prompt = torch.randint(0, 300, (1, 20))

    def decode() -> torch.Tensor:
        with torch.no_grad():
            out = model(input_ids=prompt, use_cache=True)
            steps = []
            for token in (5, 7, 9):
                out = model(input_ids=torch.tensor([[token]]), cache=out.cache, use_cache=True)
                steps.append(out.logits)
        return torch.cat(steps)

    stock = decode()
    assert use_decode_attention(model)
    assert model.config._attn_implementation == NAME
    assert torch.allclose(decode(), stock, atol=1e-5)


def test_a_model_without_sdpa_is_left_as_it_is() -> None:
    from transformers import AutoModelForCausalLM, LlamaConfig

    config = LlamaConfig(vocab_size=300, hidden_size=64, intermediate_size=128, num_hidden_layers=1)
    model = AutoModelForCausalLM.from_config(config, attn_implementation="eager")
    assert not use_decode_attention(model)
    assert model.config._attn_implementation == "eager"
