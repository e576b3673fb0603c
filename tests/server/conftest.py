"""Server tests that draft and train with the tiny model share its fixtures."""

from __future__ import annotations

from tests.model_fixtures import learn_home, one_torch_thread, store, tiny_base, tokenizer, trained  # noqa: F401
