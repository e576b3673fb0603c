"""The daemon side of training: job files out, the child process, results into the store."""

from __future__ import annotations

from tests.model_fixtures import learn_home, one_torch_thread, store, tiny_base, tokenizer, trained  # noqa: F401
