"""RosaModel on a tiny Llama: targets, merge/unmerge, adapter folders, and the method interface."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import Tensor, nn

from panza.training.rosa import (
    AdapterFormatError,
    RosaConfig,
    RosaConfigError,
    RosaLinear,
    RosaModel,
    load,
    method_config,
    prepare,
    read_adapter_config,
)
from panza.training.rosa.peft_format import load_adapter, panza_version, save_adapter

TOL: dict[str, Any] = {"atol": 1e-5, "rtol": 1e-5}
ModelFactory = Callable[[int], nn.Module]


def adapted(model: nn.Module, **kw: Any) -> RosaModel:
    """A RosaModel with random masks and non-zero adapters, as after training."""
    torch.manual_seed(3)
    rosa = RosaModel(model, RosaConfig(density=0.05, dropout=0.0, **kw))
    g = torch.Generator().manual_seed(4)
    rosa.set_masks(
        {
            n: torch.randperm(layer.out_features * layer.in_features, generator=g)[: layer.k]
            .sort()
            .values
            for n, layer in rosa.layers.items()
        }
    )
    with torch.no_grad():
        for layer in rosa.layers.values():
            layer.lora_B.normal_(0, 0.05)
            layer.sparse_values.normal_(0, 0.05)
    return rosa


def logits(model: nn.Module, ids: Tensor) -> Tensor:
    with torch.no_grad():
        out: Tensor = model(input_ids=ids).logits
    return out


def test_all_linear_adapts_every_projection_but_the_head(tiny_llama: ModelFactory) -> None:
    rosa = RosaModel(tiny_llama(0), RosaConfig())
    kinds = {n.rsplit(".", 1)[-1] for n in rosa.layers}
    assert kinds == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
    assert len(rosa.layers) == 14
    assert not isinstance(rosa.model.get_submodule("lm_head"), RosaLinear)
    trainable = {n for n, p in rosa.model.named_parameters() if p.requires_grad}
    assert trainable and all(
        n.rsplit(".", 1)[-1] in ("lora_A", "lora_B", "sparse_values") for n in trainable
    )


def test_named_targets_and_unknown_names(tiny_llama: ModelFactory) -> None:
    rosa = RosaModel(tiny_llama(0), RosaConfig(target_modules=("q_proj", "v_proj")))
    assert sorted(rosa.layers) == [
        f"model.layers.{i}.self_attn.{p}" for i in (0, 1) for p in ("q_proj", "v_proj")
    ]
    with pytest.raises(RosaConfigError, match=r"\['q_prj'\] match no Linear"):
        RosaModel(tiny_llama(0), RosaConfig(target_modules=("q_proj", "q_prj")))
    with pytest.raises(RosaConfigError, match="already carries RoSA adapters"):
        RosaModel(rosa.model, RosaConfig())


def test_merged_model_equals_adapter_model(tiny_llama: ModelFactory, batch: Tensor) -> None:
    base_out = logits(tiny_llama(0), batch)
    rosa = adapted(tiny_llama(0))
    with_adapter = logits(rosa.model, batch)
    assert not torch.allclose(with_adapter, base_out, atol=1e-3)

    rosa.merge_adapter()
    torch.testing.assert_close(logits(rosa.model, batch), with_adapter, **TOL)
    rosa.unmerge_adapter()
    torch.testing.assert_close(logits(rosa.model, batch), with_adapter, **TOL)

    merged = rosa.merge_and_unload()
    assert not any(isinstance(m, RosaLinear) for m in merged.modules())
    assert type(merged.get_submodule("model.layers.0.self_attn.q_proj")) is nn.Linear
    torch.testing.assert_close(logits(merged, batch), with_adapter, **TOL)


def test_unload_gives_back_the_base(tiny_llama: ModelFactory, batch: Tensor) -> None:
    base_out = logits(tiny_llama(0), batch)
    rosa = adapted(tiny_llama(0))
    torch.testing.assert_close(logits(rosa.unload(), batch), base_out, rtol=0, atol=0)


def test_adapter_save_load_gives_identical_outputs(
    tiny_llama: ModelFactory, batch: Tensor, tmp_path: Path
) -> None:
    rosa = adapted(tiny_llama(0), base_model="org/tiny-llama")
    expected = logits(rosa.model, batch)
    save_adapter(rosa, tmp_path / "v0001")
    assert sorted(p.name for p in (tmp_path / "v0001").iterdir()) == [
        "adapter_config.json",
        "adapter_model.safetensors",
    ]
    meta = read_adapter_config(tmp_path / "v0001")
    assert meta["peft_type"] == "ROSA"
    assert meta["base_model_name_or_path"] == "org/tiny-llama"
    assert meta["r"] == 8 and meta["lora_alpha"] == 16.0
    assert meta["panza_rosa"]["panza_version"] == panza_version()
    assert meta["panza_rosa"]["config"]["density"] == 0.05

    loaded = load_adapter(tiny_llama(0), tmp_path / "v0001")
    assert loaded.config.base_model == "org/tiny-llama"
    for name, layer in rosa.layers.items():
        assert torch.equal(loaded.layers[name].mask(), layer.mask())
    torch.testing.assert_close(logits(loaded.model, batch), expected, rtol=0, atol=0)


def test_adapter_folders_that_do_not_fit_are_refused(
    tiny_llama: ModelFactory, tmp_path: Path
) -> None:
    rosa = adapted(tiny_llama(0))
    save_adapter(rosa, tmp_path / "a")
    config = json.loads((tmp_path / "a" / "adapter_config.json").read_text())

    from transformers import LlamaConfig, LlamaForCausalLM

    wider = LlamaForCausalLM(
        LlamaConfig(
            vocab_size=256,
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
        )
    )
    with pytest.raises(AdapterFormatError, match="was made for"):
        load_adapter(wider, tmp_path / "a")
    config["panza_rosa"]["format_version"] = 99
    (tmp_path / "a" / "adapter_config.json").write_text(json.dumps(config))
    with pytest.raises(AdapterFormatError, match="newer panza"):
        load_adapter(tiny_llama(0), tmp_path / "a")
    config["peft_type"] = "LORA"
    (tmp_path / "a" / "adapter_config.json").write_text(json.dumps(config))
    with pytest.raises(AdapterFormatError, match="'LORA' adapter, not a RoSA one"):
        load_adapter(tiny_llama(0), tmp_path / "a")
    with pytest.raises(AdapterFormatError, match=r"no adapter_config\.json"):
        load_adapter(tiny_llama(0), tmp_path / "absent")


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("rosa", {"r": 4, "density": 0.05, "dropout": 0.0}),
        ("lora", {"r": 4, "dropout": 0.0}),
        ("full", {}),
    ],
)
def test_each_method_trains_saves_and_loads_the_same_way(
    name: str,
    options: dict[str, Any],
    tiny_llama: ModelFactory,
    batch: Tensor,
    train_loop: Callable[..., list[float]],
    tmp_path: Path,
) -> None:
    tuned = prepare(tiny_llama(0), method_config(name, **options))
    assert tuned.name == name
    lr = 1e-3 if name == "full" else 1e-2
    losses = train_loop(tuned.model, tuned.param_groups(lr), tuned, batch, steps=8)
    assert losses[-1] < losses[0] - 0.05, losses
    expected = logits(tuned.model, batch)

    tuned.save(tmp_path / name)
    reloaded = load(tiny_llama(0), tmp_path / name)
    assert reloaded.name == name
    torch.testing.assert_close(logits(reloaded.model, batch), expected, **TOL)
    torch.testing.assert_close(logits(reloaded.merged(), batch), expected, **TOL)
