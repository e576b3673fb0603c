"""The demo (make demo), run for real."""

from __future__ import annotations

from tests.model_fixtures import learn_home, one_torch_thread, store, tiny_base, tokenizer, trained  # noqa: F401
