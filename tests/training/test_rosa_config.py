"""RosaConfig validation and the method picker: bad values fail at once, all named."""

from __future__ import annotations

import pytest

from panza.training.rosa import (
    FullMethodConfig,
    LoraMethodConfig,
    RosaConfig,
    RosaConfigError,
    method_config,
)


def test_defaults_follow_panza_and_the_paper() -> None:
    c = RosaConfig()
    assert (c.r, c.alpha, c.dropout, c.density) == (8, 16.0, 0.05, 0.01)
    assert c.target_modules == "all-linear" and c.grad_mode == "mean_squared"
    assert c.scaling == 2.0 and c.warmup_steps == 0


@pytest.mark.parametrize(("schedule", "warmup"), [("default", 0), ("wl0", 0), ("wl16", 16)])
def test_schedule_names_parse(schedule: str, warmup: int) -> None:
    assert RosaConfig(schedule=schedule).warmup_steps == warmup


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"r": -2}, "r must be an integer >= 0"),
        ({"r": True}, "r must be an integer >= 0"),
        ({"alpha": -1.0}, "alpha must be > 0"),
        ({"dropout": 1.0}, "dropout must be in"),
        ({"density": 1.0}, "density must be in"),
        ({"num_grad_steps": 0}, "num_grad_steps must be an integer >= 1"),
        ({"grad_mode": "fisher"}, "grad_mode must be one of"),
        ({"schedule": "warmup"}, "schedule must be 'default', 'wlN'"),
        ({"schedule": "wl-3"}, "schedule must be"),
        ({"target_modules": "q_proj"}, "target_modules must be 'all-linear' or a list"),
        ({"target_modules": ()}, "non-empty list"),
        ({"impl": "triton"}, "impl must be one of"),
        ({"schedule": "lora_only"}, "'lora_only' needs density 0"),
        ({"schedule": "spa_only"}, "r must be 0"),
        ({"r": 0}, "r must be > 0 \\(or use 'spa_only'\\)"),
        ({"density": 0.0}, "needs density > 0 \\(or use 'lora_only'\\)"),
        ({"mask_load_path": "a", "mask_save_path": "b"}, "not both"),
        ({"stop_after_mask": True}, "stop_after_mask needs mask_save_path"),
        ({"schedule": "lora_only", "density": 0.0, "mask_save_path": "m"}, "no masks"),
    ],
)
def test_bad_values_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(RosaConfigError, match=message):
        RosaConfig(**kwargs)  # type: ignore[arg-type]


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(RosaConfigError) as info:
        RosaConfig(r=-1, alpha=0.0, density=2.0, schedule="nope")
    text = str(info.value)
    for part in ("r must", "alpha must", "density must", "schedule must"):
        assert part in text


def test_dict_round_trip_and_unknown_keys() -> None:
    c = RosaConfig(r=4, target_modules=("q_proj", "v_proj"), schedule="wl16", base_model="m")
    assert RosaConfig.from_dict(c.to_dict()) == c
    assert c.to_dict()["target_modules"] == ["q_proj", "v_proj"]
    with pytest.raises(RosaConfigError, match="did you mean 'density'"):
        RosaConfig.from_dict({"densty": 0.1})


def test_method_picked_by_name() -> None:
    assert isinstance(method_config("rosa", r=4), RosaConfig)
    assert isinstance(method_config("lora", r=4), LoraMethodConfig)
    assert isinstance(method_config("full"), FullMethodConfig)
    with pytest.raises(RosaConfigError, match="unknown fine-tuning method 'qlora'"):
        method_config("qlora")
    with pytest.raises(RosaConfigError, match="takes no options \\['density'\\]"):
        method_config("lora", density=0.1)
    with pytest.raises(RosaConfigError, match="r must be an integer >= 1"):
        method_config("lora", r=0)
