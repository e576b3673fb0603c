"""The writer: drafts in the user's style from the current adapter, streamed token by token.

The base model loads on the first draft and unloads after an idle time; a new
adapter version becomes current for the next draft (a draft in progress keeps
the model it started with). Generation uses the one prompt format of
``panza.training.prompt``, with the most relevant past emails and, for a
reply, the thread. Generation itself, its sampling defaults and the drafting engine live in
``panza.training`` (``generate``, ``drafting``); this module imports neither torch nor
transformers. On a CPU, the first draft with a new version uses the merged model; once that
draft is done a quantized copy is built in the background, and later drafts use it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from panza.daemon.config import Config
from panza.daemon.errors import NotReadyError, UserError, WorkCancelled
from panza.daemon.index.retrieve import Retrieved
from panza.daemon.paths import Paths
from panza.daemon.protocol import DraftParams
from panza.daemon.store import Store
from panza.daemon.store.state import adapter_path, current_adapter
from panza.daemon.tuning import job_fields
from panza.training.errors import Cancelled, TrainingError
from panza.training.sampling import DEFAULT_MAX_NEW_TOKENS, DRAFT_SAMPLING

if TYPE_CHECKING:
    from panza.training.drafting import DraftModel
    from panza.training.model import ModelSpec

log = logging.getLogger(__name__)

# A draft asking for more tokens than the context leaves still gets at least this many.
MIN_NEW_TOKENS = 16
REPLY_INSTRUCTION = "Reply to the last message of the thread."


class DraftCancelled(WorkCancelled):
    """The client cancelled the draft."""


@dataclass(frozen=True)
class Draft:
    text: str
    adapter_version: int
    retrieved: list[dict[str, Any]]
    timings: dict[str, float | None]
    engine: str = ""
    # The tokens the draft was allowed when fewer than asked fitted in the context.
    capped_to: int | None = None


class Host(Protocol):
    """What the writer reads from its owner (the daemon's Service, or ``panza draft``)."""

    @property
    def paths(self) -> Paths: ...
    @property
    def config(self) -> Config: ...  # read at each draft: a reload applies to the next
    @property
    def store(self) -> Store: ...
    def retrieve(self, query: str, last_message: str | None = None) -> list[Retrieved]: ...


@dataclass
class _Loaded:
    draft: DraftModel
    spec: ModelSpec
    adapter: Path
    load_s: float


class Writer:
    """Owns the generation model; one draft at a time (callers queue on :attr:`busy`)."""

    def __init__(self, service: Host, quantize: bool = True, min_copy_bytes: int = -1) -> None:
        self.service = service
        self.quantize = quantize  # build and use quantized drafting copies (on a CPU)
        self.min_copy_bytes = min_copy_bytes  # below this model size no copy (-1: the default)
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()
        self._last_used = time.monotonic()
        self._copy_lock = threading.Lock()  # guards the two fields below
        self._copy_ready: DraftModel | None = None
        self._copy_thread: threading.Thread | None = None

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    @property
    def engine(self) -> str | None:
        """What drafts now: "int4"/"int8" (a quantized copy) or a dtype; None when unloaded."""
        return self._loaded.draft.engine if self._loaded is not None else None

    def unload_if_idle(self, idle_s: float) -> bool:
        """Free the model when no draft used it for ``idle_s`` seconds."""
        if self._loaded is None or time.monotonic() - self._last_used < idle_s:
            return False
        if not self._lock.acquire(blocking=False):
            return False
        try:
            self._loaded = None
            with self._copy_lock:
                self._copy_ready = None
            log.info("model unloaded after %.0f idle minutes", idle_s / 60)
            return True
        finally:
            self._lock.release()

    def wait_for_copy(self, timeout: float | None = None) -> None:
        """Block until a quantized copy being built in the background is done (or failed)."""
        thread = self._copy_thread
        if thread is not None:
            thread.join(timeout)

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
            prompt_ids, max_new = self._prompt(loaded.draft, params, retrieved)
            first, text = self._generate(
                loaded.draft, params, prompt_ids, max_new, on_token, cancel
            )
            self._last_used = done = time.monotonic()
            self._start_copy(loaded)
        final = finish(text, self.service.config.user.signature)
        if final.startswith(text.rstrip()) and len(final) > len(text.rstrip()):
            on_token(final[len(text.rstrip()) :])  # the configured signature, streamed too
        return Draft(
            text=final,
            adapter_version=loaded.draft.version,
            retrieved=[
                {"id": r["id"], "subject": r["subject"], "date": r["date"], "score": r["score"]}
                for r in retrieved
            ],
            timings={
                "load_s": round(loaded.load_s, 3),
                "first_token_s": round(first - started, 3) if first else None,
                "total_s": round(done - started, 3),
            },
            engine=loaded.draft.engine,
            capped_to=max_new if max_new < _asked(params) else None,
        )

    # --- the model: cached, hot-swapped to a new version or to its quantized copy ----------
    def _ensure(self, notify: Callable[[str], None]) -> _Loaded:
        version = current_adapter(self.service.store.conn)
        if version is None:
            raise NotReadyError(
                "no adapter trained yet: run `panza train` (or wait for the first"
                " scheduled training) before drafting",
            )
        with self._copy_lock:
            ready, self._copy_ready = self._copy_ready, None
        loaded = self._loaded
        if loaded is not None and loaded.draft.version == version:
            if ready is not None and ready.version == version:
                loaded.draft = ready  # the quantized copy just built: same weights, faster
                log.info("drafting with the %s copy of v%04d", ready.engine, version)
            loaded.load_s = 0.0
            return loaded
        self._loaded = None  # free the old model before loading the new one
        path = adapter_path(self.service.store.conn, version)
        started = time.monotonic()
        notify(f"loading the model with adapter v{version:04d}")
        spec = _model_spec(self.service, notify)
        draft = _load(spec, path, version, self.quantize)
        self._loaded = _Loaded(draft, spec, path, time.monotonic() - started)
        log.info("loaded adapter v%04d (%s) in %.1f s", version, draft.engine, self._loaded.load_s)
        return self._loaded

    def _start_copy(self, loaded: _Loaded) -> None:
        """After a draft with the merged model, build its quantized copy in the background."""
        from panza.training.drafting import MIN_COPY_BYTES, copies_wanted

        if not self.quantize or loaded.draft.quantized:
            return
        if self._copy_thread is not None and self._copy_thread.is_alive():
            return
        threshold = self.min_copy_bytes if self.min_copy_bytes >= 0 else MIN_COPY_BYTES
        if not copies_wanted(loaded.draft.model, threshold):
            return
        thread = threading.Thread(
            target=self._build_copy, args=(loaded,), name="panza-draft-copy", daemon=True
        )
        self._copy_thread = thread
        thread.start()

    def _build_copy(self, loaded: _Loaded) -> None:
        from panza.training.drafting import build_copy

        started = time.monotonic()
        try:
            copy = build_copy(loaded.draft, loaded.spec, loaded.adapter)
        except Exception as exc:  # drafts go on with the merged model; the next try rebuilds
            log.warning("could not build the quantized drafting copy: %s", exc)
            return
        log.info(
            "built the %s drafting copy of v%04d in %.1f s",
            copy.engine,
            copy.version,
            time.monotonic() - started,
        )
        with self._copy_lock:
            self._copy_ready = copy

    # --- steps --------------------------------------------------------------------------
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
        self, draft: DraftModel, params: DraftParams, retrieved: list[dict[str, Any]]
    ) -> tuple[list[int], int]:
        """The prompt's ids and the tokens the draft may take.

        The prompt may use the model's whole context (training's max_length caps training
        sequences, not what the model can read), less the room the draft asks for. When
        even the bare prompt does not leave that room, the prompt keeps what fits beside
        :data:`MIN_NEW_TOKENS` and the draft is capped to the rest of the context.
        """
        from panza.training.prompt import PastEmail, Request, ThreadMessage, encode_prompt

        request = Request(
            instruction=params.instruction.strip() or REPLY_INSTRUCTION,
            retrieved=tuple(PastEmail(r["subject"], r["text"], r["date"]) for r in retrieved),
            thread=tuple(ThreadMessage(m.sender, m.text, m.date or None) for m in params.thread),
        )
        profile = job_fields.profile(self.service.config)
        asked = _asked(params)
        try:
            encoded = encode_prompt(draft.tokenizer, profile, request, draft.context - asked)
        except TrainingError:
            try:
                encoded = encode_prompt(
                    draft.tokenizer, profile, request, draft.context - MIN_NEW_TOKENS
                )
            except TrainingError as exc:  # the instruction alone does not fit
                raise UserError(str(exc)) from exc
        ids = list(encoded.input_ids)
        return ids, min(asked, draft.context - len(ids))

    def _generate(
        self,
        draft: DraftModel,
        params: DraftParams,
        prompt_ids: list[int],
        max_new: int,
        on_token: Callable[[str], None],
        cancel: threading.Event,
    ) -> tuple[float | None, str]:
        sampling = DRAFT_SAMPLING.with_temperature(params.temperature)
        first: float | None = None
        pieces: list[str] = []
        try:
            for piece in draft.stream(prompt_ids, max_new, sampling, cancel):
                if first is None:
                    first = time.monotonic()
                pieces.append(piece)
                on_token(piece)
        except Cancelled:
            raise DraftCancelled("cancelled") from None
        return first, "".join(pieces)


def _asked(params: DraftParams) -> int:
    return params.max_new_tokens or DEFAULT_MAX_NEW_TOKENS


def _model_spec(service: Host, notify: Callable[[str], None]) -> ModelSpec:
    config = service.config
    return job_fields.model_spec(config, service.paths, job_fields.base_name(config), notify)


def _load(spec: ModelSpec, adapter: Path, version: int, quantize: bool) -> DraftModel:
    """The version's quantized copy where there is one, else the merged model."""
    from panza.training.drafting import load_copy, load_merged

    copy = load_copy(spec, adapter) if quantize else None
    if copy is not None and copy.version == version:
        return copy
    return load_merged(spec, adapter, version)


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
