"""The one prompt format: training and serving see the same tokens, the loss covers only the
email, and long inputs lose retrieved context first, then the thread, never the email."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from panza.training.model import ModelSpec, load_tokenizer
from panza.training.prompt import (
    IGNORE,
    PastEmail,
    Request,
    ThreadMessage,
    encode_example,
    encode_prompt,
    render_prompt,
    turn_suffix,
)
from tests.model_fixtures import PROFILE

EMAIL = "Dear Anna,\n\nplease find the invoice for the GPU cluster attached.\n\nBest,\nDavid"
RETRIEVED = tuple(
    PastEmail(f"Invoice {n}", f"Dear Tom,\n\nhere is invoice number {n} for March.\n\nDavid")
    for n in (1, 2, 3)
)
THREAD = (
    ThreadMessage("anna@lab.example", "Could you send me the invoice?", "2024-03-01"),
    ThreadMessage("david@lab.example", "Which one do you need?", "2024-03-02"),
    ThreadMessage("anna@lab.example", "The one for the GPU cluster, please.", "2024-03-03"),
)
FULL = Request("Send Anna the GPU cluster invoice.", RETRIEVED, THREAD)


def test_training_and_serving_build_identical_prompts(tokenizer: Any) -> None:
    train = encode_example(tokenizer, PROFILE, FULL, EMAIL, 2048)
    serve = encode_prompt(tokenizer, PROFILE, FULL, 2048)
    assert train is not None
    assert train.input_ids[: train.prompt_len] == serve.input_ids
    assert tokenizer.decode(serve.input_ids) == render_prompt(tokenizer, PROFILE, FULL)
    text = render_prompt(tokenizer, PROFILE, FULL)
    # Everything the format promises is in the prompt, in order.
    order = [
        "My name is David.",
        "I sign my emails with:",
        "About me:",
        "Invoice 1",
        "The email thread",
        "Could you send",
        "Instruction: Send Anna",
    ]
    positions = [text.index(s) for s in order]
    assert positions == sorted(positions)
    assert text.index("<|system|>") < text.index("<|user|>") < text.rindex("<|assistant|>")


def test_loss_mask_covers_exactly_the_email_tokens(tokenizer: Any) -> None:
    enc = encode_example(tokenizer, PROFILE, FULL, EMAIL, 2048)
    assert enc is not None and not enc.target_truncated
    labelled = [i for i, lab in enumerate(enc.labels) if lab != IGNORE]
    # One contiguous run at the very end, right after the prompt.
    assert labelled == list(range(enc.prompt_len, len(enc.input_ids)))
    email_ids = tokenizer(EMAIL, add_special_tokens=False)["input_ids"]
    end_ids = tokenizer(turn_suffix(tokenizer), add_special_tokens=False)["input_ids"]
    assert [enc.labels[i] for i in labelled] == email_ids + end_ids
    assert tokenizer.decode(enc.labels[enc.prompt_len : enc.prompt_len + len(email_ids)]) == EMAIL
    assert turn_suffix(tokenizer) == "<|end|>"


def _fit_at(tokenizer: Any, budget: int) -> Any:
    enc = encode_example(tokenizer, PROFILE, FULL, EMAIL, budget)
    assert enc is not None and len(enc.input_ids) <= budget
    return enc


def test_truncation_drops_retrieved_context_first_then_thread_never_the_email(
    tokenizer: Any,
) -> None:
    full = encode_example(tokenizer, PROFILE, FULL, EMAIL, 4096)
    bare = encode_example(tokenizer, PROFILE, Request(FULL.instruction), EMAIL, 4096)
    assert full is not None and bare is not None
    target = len(full.input_ids) - full.prompt_len
    without_one = encode_example(
        tokenizer, PROFILE, Request(FULL.instruction, RETRIEVED[:2], THREAD), EMAIL, 4096
    )
    assert without_one is not None
    # Just too long for everything: the least relevant (last) retrieved email goes.
    enc = _fit_at(tokenizer, len(full.input_ids) - 1)
    assert (enc.dropped_retrieved, enc.dropped_thread) == (1, 0)
    assert enc.input_ids == without_one.input_ids
    text = tokenizer.decode(enc.input_ids)
    assert "Invoice 1" in text and "Invoice 3" not in text
    # Room for the prompt without retrieved emails and one thread message short: the oldest goes.
    no_retrieved = encode_example(
        tokenizer, PROFILE, Request(FULL.instruction, (), THREAD), EMAIL, 4096
    )
    assert no_retrieved is not None
    enc = _fit_at(tokenizer, len(no_retrieved.input_ids) - 1)
    assert (enc.dropped_retrieved, enc.dropped_thread) == (3, 1)
    text = tokenizer.decode(enc.input_ids)
    assert "Could you send me" not in text and "The one for the GPU cluster" in text
    # In every case the email is intact and fully labelled.
    assert len(enc.input_ids) - enc.prompt_len == target and not enc.target_truncated
    # Only when the bare prompt leaves no room is the email cut, from its end.
    enc = _fit_at(tokenizer, bare.prompt_len + 10)
    assert enc.target_truncated and enc.prompt_len == bare.prompt_len
    assert enc.labels[enc.prompt_len :] == bare.labels[bare.prompt_len : bare.prompt_len + 10]


def test_serving_prompt_fits_its_budget(tokenizer: Any) -> None:
    full = encode_prompt(tokenizer, PROFILE, FULL, 4096)
    small = encode_prompt(tokenizer, PROFILE, FULL, len(full.input_ids) - 1)
    assert len(small.input_ids) < len(full.input_ids)
    assert small.dropped_retrieved == 1 and small.dropped_thread == 0


def test_templates_without_a_system_role_get_it_in_the_user_turn(
    tiny_base: Path, tmp_path: Path
) -> None:
    tok = load_tokenizer(ModelSpec(str(tiny_base)))
    tok.chat_template = (
        "{% if messages[0]['role'] == 'system' %}"
        "{{ raise_exception('System role not supported') }}{% endif %}"
        "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}</s>{% endfor %}"
        "{% if add_generation_prompt %}<assistant>{% endif %}"
    )
    text = render_prompt(tok, PROFILE, Request("Say hi."))
    assert text.startswith("<user>You are David's email assistant.")
    assert "My name is David." in text and text.endswith("<assistant>")


def test_a_tokenizer_without_chat_template_gets_one_ending_turns_with_eos(
    tiny_base: Path, tmp_path: Path
) -> None:
    plain = tmp_path / "plain"
    tok = load_tokenizer(ModelSpec(str(tiny_base)))
    tok.chat_template = None
    tok.save_pretrained(plain)
    (plain / "chat_template.jinja").unlink(missing_ok=True)
    loaded = load_tokenizer(ModelSpec(str(plain)))
    assert turn_suffix(loaded) == loaded.eos_token
    assert render_prompt(loaded, PROFILE, Request("Say hi.")).endswith("### Assistant:\n")
