"""The writer: drafts in the user's style from the current adapter, streamed token by token.

The base model loads on the first draft and unloads after an idle time; a new
adapter version becomes current for the next draft (a draft in progress keeps
the model it started with). Generation uses the one prompt format of
``panza.training.prompt``, with the most relevant past emails and, for a
reply, the thread. Sampling defaults: temperature 0.7, top-p 0.7, top-k 50.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from panza.daemon.learn import settings
from panza.daemon.protocol import DraftParams, ProtocolError
from panza.daemon.service import Service
from panza.daemon.store.state import current_adapter
from panza.training.errors import TrainingError

log = logging.getLogger(__name__)

DEFAULT_MAX_NEW_TOKENS = 384
DEFAULT_TEMPERATURE = 0.7
# A draft asking for more tokens than the context leaves still gets at least this many.
MIN_NEW_TOKENS = 16
REPLY_INSTRUCTION = "Reply to the last message of the thread."


class DraftCancelled(Exception):
    """The client cancelled the draft."""


@dataclass
class _Loaded:
    model: Any
    tokenizer: Any
    version: int
    stop_ids: list[int]
    load_s: float
    context: int


@dataclass(frozen=True)
class Draft:
    text: str
    adapter_version: int
    retrieved: list[dict[str, Any]]
    timings: dict[str, float | None]
    # The tokens the draft was allowed when fewer than asked fitted in the context.
    capped_to: int | None = None


class Writer:
    """Owns the generation model; one draft at a time (callers queue on :attr:`busy`)."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()
        self._last_used = time.monotonic()

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    def unload_if_idle(self, idle_s: float) -> bool:
        """Free the model when no draft used it for ``idle_s`` seconds."""
        if self._loaded is None or time.monotonic() - self._last_used < idle_s:
            return False
        if not self._lock.acquire(blocking=False):
            return False
        try:
            self._loaded = None
            log.info("model unloaded after %.0f idle minutes", idle_s / 60)
            return True
        finally:
            self._lock.release()

    def write(
        self,
        params: DraftParams,
        on_token: Callable[[str], None],
        cancel: threading.Event,
        notify: Callable[[str], None] = lambda _m: None,
    ) -> Draft:
        """Generate one draft (blocking); raise :class:`DraftCancelled` when ``cancel`` is set."""
        with self._lock:
            started = time.monotonic()
            loaded = self._ensure(notify)
            retrieved = self._retrieve(params)
            prompt_ids, max_new = self._prompt(loaded, params, retrieved)
            first, text = self._generate(loaded, params, prompt_ids, max_new, on_token, cancel)
            self._last_used = time.monotonic()
            done = time.monotonic()
        final = finish(text, self.service.config.user.signature)
        if final.startswith(text.rstrip()) and len(final) > len(text.rstrip()):
            on_token(final[len(text.rstrip()) :])  # the configured signature, streamed too
        return Draft(
            text=final,
            adapter_version=loaded.version,
            retrieved=[
                {"id": r["id"], "subject": r["subject"], "date": r["date"], "score": r["score"]}
                for r in retrieved
            ],
            timings={
                "load_s": round(loaded.load_s if loaded.load_s else 0.0, 3),
                "first_token_s": round(first - started, 3) if first else None,
                "total_s": round(done - started, 3),
            },
            capped_to=max_new if max_new < _asked(params) else None,
        )

    # --- steps --------------------------------------------------------------------------
    def _ensure(self, notify: Callable[[str], None]) -> _Loaded:
        version = current_adapter(self.service.store.conn)
        if version is None:
            raise ProtocolError(
                "not_ready",
                "no adapter trained yet: run `panza train` (or wait for the first"
                " scheduled training) before drafting",
            )
        if self._loaded is not None and self._loaded.version == version:
            self._loaded.load_s = 0.0
            return self._loaded
        self._loaded = None  # free the old model before loading the new one
        row = self.service.store.conn.execute(
            "SELECT path FROM adapter_versions WHERE version = ?", (version,)
        ).fetchone()
        started = time.monotonic()
        notify(f"loading the model with adapter v{version:04d}")
        self._loaded = _load(self.service, Path(row[0]), version, notify)
        self._loaded.load_s = time.monotonic() - started
        log.info("loaded adapter v%04d in %.1f s", version, self._loaded.load_s)
        return self._loaded

    def _retrieve(self, params: DraftParams) -> list[dict[str, Any]]:
        query = params.instruction.strip() or REPLY_INSTRUCTION
        last = params.thread[-1].text if params.thread else None
        try:
            hits = self.service.retrieve(query, last)
        except Exception as exc:  # retrieval improves drafts; its failure must not stop one
            log.warning("retrieval unavailable: %s", exc)
            return []
        return [h.as_json() for h in hits]

    def _prompt(
        self, loaded: _Loaded, params: DraftParams, retrieved: list[dict[str, Any]]
    ) -> tuple[list[int], int]:
        """The prompt's ids and the tokens the draft may take.

        The prompt may use the model's whole context (training's max_length caps training
        sequences, not what the model can read), less the room the draft asks for. When
        even the bare prompt does not leave that room, the prompt keeps what fits beside
        :data:`MIN_NEW_TOKENS` and the draft is capped to the rest of the context.
        """
        from panza.training.prompt import PastEmail, Profile, Request, ThreadMessage, encode_prompt

        user = self.service.config.user
        request = Request(
            instruction=params.instruction.strip() or REPLY_INSTRUCTION,
            retrieved=tuple(PastEmail(r["subject"], r["text"], r["date"]) for r in retrieved),
            thread=tuple(ThreadMessage(m.sender, m.text, m.date or None) for m in params.thread),
        )
        profile = Profile(user.name, user.signature, user.facts)
        asked = _asked(params)
        try:
            encoded = encode_prompt(loaded.tokenizer, profile, request, loaded.context - asked)
        except TrainingError:
            try:
                encoded = encode_prompt(
                    loaded.tokenizer, profile, request, loaded.context - MIN_NEW_TOKENS
                )
            except TrainingError as exc:  # the instruction alone does not fit
                raise ProtocolError("bad_request", str(exc)) from None
        ids = list(encoded.input_ids)
        return ids, min(asked, loaded.context - len(ids))

    def _generate(
        self,
        loaded: _Loaded,
        params: DraftParams,
        prompt_ids: list[int],
        max_new: int,
        on_token: Callable[[str], None],
        cancel: threading.Event,
    ) -> tuple[float | None, str]:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        class _Stop(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
                return cancel.is_set()

        temperature = DEFAULT_TEMPERATURE if params.temperature is None else params.temperature
        options: dict[str, Any] = {
            "max_new_tokens": max_new,
            "eos_token_id": loaded.stop_ids or None,
            "pad_token_id": loaded.tokenizer.pad_token_id or loaded.stop_ids[0],
            "stopping_criteria": StoppingCriteriaList([_Stop()]),
        }
        if temperature > 0:
            options.update(do_sample=True, temperature=temperature, top_p=0.7, top_k=50)
        else:
            options.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        streamer = TextIteratorStreamer(
            loaded.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=600
        )
        device = next(loaded.model.parameters()).device
        ids = torch.tensor([prompt_ids], dtype=torch.long, device=device)
        failure: list[BaseException] = []

        def run() -> None:
            try:
                with torch.no_grad():
                    loaded.model.generate(
                        input_ids=ids,
                        attention_mask=torch.ones_like(ids),
                        streamer=streamer,
                        **options,
                    )
            except BaseException as exc:  # surfaced below, on the caller's thread
                failure.append(exc)
                streamer.end()  # type: ignore[no-untyped-call]

        worker = threading.Thread(target=run, name="panza-generate", daemon=True)
        worker.start()
        first: float | None = None
        pieces: list[str] = []
        for piece in streamer:
            if not piece:
                continue
            if first is None:
                first = time.monotonic()
            pieces.append(piece)
            on_token(piece)
        worker.join()
        if failure:
            raise failure[0]
        if cancel.is_set():
            raise DraftCancelled()
        return first, "".join(pieces)


def _asked(params: DraftParams) -> int:
    return params.max_new_tokens or DEFAULT_MAX_NEW_TOKENS


def _load(service: Service, adapter: Path, version: int, notify: Callable[[str], None]) -> _Loaded:
    from panza.training.model import ModelSpec, load_base
    from panza.training.prompt import turn_suffix
    from panza.training.rosa.methods import load

    config = service.config
    spec = settings.model_spec(config, service.paths, settings.base_name(config), notify)
    base = load_base(ModelSpec(**spec))
    tuned = load(base.model, adapter)
    model = tuned.merged().eval()  # adapter folded into the weights: plain, fast layers
    tokenizer = base.tokenizer
    stop = tokenizer.convert_tokens_to_ids(turn_suffix(tokenizer))
    stop_ids = [
        i
        for i in {tokenizer.eos_token_id, stop if isinstance(stop, int) else None}
        if i is not None and i != tokenizer.unk_token_id
    ]
    context = int(getattr(model.config, "max_position_embeddings", 0) or 0) or 2048
    return _Loaded(model, tokenizer, version, stop_ids, 0.0, context)


def finish(text: str, signature: str) -> str:
    """The draft as sent back: trimmed, an echoed "Instruction:" line dropped, signature added."""
    # split("\n"), not splitlines(): the latter also breaks at \x1c-\x1e and \u2028, which
    # would make the stored text differ from what was streamed.
    lines = text.strip().split("\n")
    while lines and lines[0].lower().startswith(("instruction:", "subject:")):
        lines.pop(0)
    out = "\n".join(lines).strip()
    sig = signature.strip()
    if sig and sig not in out:
        out = f"{out}\n\n{sig}" if out else sig
    return out
