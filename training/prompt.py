"""The one prompt format, used by training and serving alike.

A system message says what the assistant does; the user message holds, separated by
blank lines, a preamble about the user (name, signature, facts), optional past emails
retrieved as examples, optional thread being replied to, and the instruction. The
tokenizer's chat template turns that into text; the target is the email text followed by
the template's end-of-turn marker (trained too, so that drafts learn where to stop).

Tokens are the prompt text's tokens followed by the target's, each tokenized on its own:
serving tokenizes exactly the same prompt text, so the two can never differ.

Truncation, when prompt plus target exceed the budget: retrieved emails go first
(least relevant first), then the thread (oldest message first). The target is never cut
to make room for context; only when even the bare prompt leaves too little room is the
email cut from its end (keeping the greeting and the opening, where style shows most),
and then without the end-of-turn marker, so the model never learns to stop mid-email.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any

from panza.training.errors import TrainingError

IGNORE = -100
SYSTEM = (
    "You are {name}'s email assistant. From a short instruction you write the email {name}"
    " would send, in {name}'s own words, tone and length, ready to send. Reply with the"
    " email text only."
)
RETRIEVED_HEADER = "Emails I wrote before; use details from them only where they are relevant:"
THREAD_HEADER = "The email thread I am replying to, oldest message first:"
SEPARATOR = "---"
_SENTINEL = "\u2063PANZA-TARGET\u2063"


@dataclass(frozen=True)
class Profile:
    """The user as the preamble presents them (from the config's [user] section)."""

    name: str
    signature: str = ""
    facts: str = ""


@dataclass(frozen=True)
class PastEmail:
    """A retrieved past email shown as an example."""

    subject: str
    text: str
    date: str | None = None


@dataclass(frozen=True)
class ThreadMessage:
    """An earlier message of the thread being replied to."""

    sender: str
    text: str
    date: str | None = None


@dataclass(frozen=True)
class Request:
    """What one email is written from: the instruction and its optional context."""

    instruction: str
    retrieved: tuple[PastEmail, ...] = ()
    thread: tuple[ThreadMessage, ...] = ()


@dataclass(frozen=True)
class Encoded:
    """Token ids of one prompt (+ target when training) and what truncation removed."""

    input_ids: list[int]
    labels: list[int]
    prompt_len: int
    dropped_retrieved: int = 0
    dropped_thread: int = 0
    target_truncated: bool = False

    def digest(self) -> str:
        """A short hash of exactly what the model sees and is scored on."""
        h = hashlib.sha1(repr((self.input_ids, self.prompt_len)).encode(), usedforsecurity=False)
        return h.hexdigest()[:16]


def user_message(profile: Profile, request: Request) -> str:
    """The user turn: preamble, retrieved emails, thread, instruction."""
    preamble = [f"My name is {profile.name.strip()}."]
    if profile.signature.strip():
        preamble.append(f"I sign my emails with:\n{profile.signature.strip()}")
    if profile.facts.strip():
        preamble.append(f"About me: {profile.facts.strip()}")
    blocks = ["\n".join(preamble)]
    if request.retrieved:
        shown = [
            f"SUBJECT: {e.subject.strip()}\nE-MAIL:\n{e.text.strip()}\n{SEPARATOR}"
            for e in request.retrieved
        ]
        blocks.append(RETRIEVED_HEADER + "\n\n" + "\n".join(shown))
    if request.thread:
        shown = [
            f"FROM: {m.sender.strip()}" + (f" ({m.date})" if m.date else "") + f"\n{m.text.strip()}"
            f"\n{SEPARATOR}"
            for m in request.thread
        ]
        blocks.append(THREAD_HEADER + "\n\n" + "\n".join(shown))
    blocks.append(f"Instruction: {request.instruction.strip()}")
    return "\n\n".join(blocks)


def messages(profile: Profile, request: Request) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": SYSTEM.format(name=profile.name.strip())},
        {"role": "user", "content": user_message(profile, request)},
    ]


def render_prompt(tokenizer: Any, profile: Profile, request: Request) -> str:
    """The prompt text through the chat template, ending where the email begins."""
    return chat_text(tokenizer, messages(profile, request), generation=True)


def encode_prompt(tokenizer: Any, profile: Profile, request: Request, max_tokens: int) -> Encoded:
    """Serving: the prompt's token ids, context dropped until it fits in `max_tokens`."""
    _, ids, dropped = _fit(tokenizer, profile, request, max_tokens)
    if len(ids) > max_tokens:
        raise TrainingError(
            f"the instruction alone needs {len(ids)} tokens, over the {max_tokens} available"
        )
    return Encoded(ids, [IGNORE] * len(ids), len(ids), *dropped)


def encode_example(
    tokenizer: Any, profile: Profile, request: Request, email: str, max_length: int
) -> Encoded | None:
    """Training: prompt + email + end-of-turn; labels are IGNORE except on the target.

    None when even the bare prompt leaves no room for a few email tokens.
    """
    target = _ids(tokenizer, email.strip()) + _ids(tokenizer, turn_suffix(tokenizer))
    _, prompt, dropped = _fit(tokenizer, profile, request, max_length - len(target))
    room = max_length - len(prompt)
    if room < min(8, len(target)):
        return None
    truncated = room < len(target)
    if truncated:
        target = _ids(tokenizer, email.strip())[:room]
    ids = prompt + target
    return Encoded(ids, [IGNORE] * len(prompt) + target, len(prompt), *dropped, truncated)


def turn_suffix(tokenizer: Any) -> str:
    """What the chat template writes after an assistant message (its end-of-turn marker)."""
    cached: str | None = getattr(tokenizer, "_panza_turn_suffix", None)
    if cached is not None:
        return cached
    convo = [{"role": "user", "content": "x"}, {"role": "assistant", "content": _SENTINEL}]
    text = chat_text(tokenizer, convo, generation=False)
    suffix = text[text.index(_SENTINEL) + len(_SENTINEL) :].rstrip()
    if not suffix:
        suffix = tokenizer.eos_token or ""
    tokenizer._panza_turn_suffix = suffix
    return suffix


def _fit(
    tokenizer: Any, profile: Profile, request: Request, budget: int
) -> tuple[Request, list[int], tuple[int, int]]:
    """Drop retrieved emails (last first), then thread messages (oldest first), to fit."""
    retrieved, thread = list(request.retrieved), list(request.thread)
    while True:
        fitted = replace(request, retrieved=tuple(retrieved), thread=tuple(thread))
        ids = _ids(tokenizer, render_prompt(tokenizer, profile, fitted))
        dropped = (len(request.retrieved) - len(retrieved), len(request.thread) - len(thread))
        if len(ids) <= budget or not (retrieved or thread):
            return fitted, ids, dropped
        if retrieved:
            retrieved.pop()
        else:
            thread.pop(0)


def _ids(tokenizer: Any, text: str) -> list[int]:
    # The chat template already writes any BOS token as text.
    ids: list[int] = tokenizer(text, add_special_tokens=False)["input_ids"]
    return ids


def chat_text(tokenizer: Any, convo: list[dict[str, str]], generation: bool) -> str:
    """`convo` through the tokenizer's chat template (system folded into user if refused)."""
    if getattr(tokenizer, "_panza_no_system", False):
        convo = _fold_system(convo)
    try:
        text: str = tokenizer.apply_chat_template(
            convo, tokenize=False, add_generation_prompt=generation
        )
        return text
    except Exception as exc:  # jinja2's TemplateError: e.g. "System role not supported"
        if convo[0]["role"] != "system":
            raise TrainingError(f"the tokenizer's chat template failed: {exc}") from exc
    # Some templates (Gemma's) refuse a system turn: put it at the top of the user turn.
    tokenizer._panza_no_system = True
    return chat_text(tokenizer, convo, generation)


def _fold_system(convo: list[dict[str, str]]) -> list[dict[str, str]]:
    if not convo or convo[0]["role"] != "system":
        return convo
    system, first, *rest = convo
    merged = {"role": first["role"], "content": system["content"] + "\n\n" + first["content"]}
    return [merged, *rest]
