"""The fuzz tier: Hypothesis property tests with a bounded, reproducible number of examples.

``make test`` runs them under the ``ci`` profile (200 examples per property, derandomized
so a run is repeatable, no per-example deadline: a loaded 2-core machine is slow, and a
hang is caught by each test's timeout instead). ``PANZA_FUZZ_PROFILE=explore`` runs
thousands of fresh random examples, to look for new defects.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "explore",
    max_examples=5000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("PANZA_FUZZ_PROFILE", "ci"))

# Any character, lone surrogates included: JSON's \\udXXX escapes can carry them.
any_char = st.characters(codec=None, categories=None)
any_text = st.text(any_char, max_size=40)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | any_text
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=20,
)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def logged() -> Iterator[list[logging.LogRecord]]:
    """Every log record made inside the block, at any level, from any logger."""
    handler = _Records()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler.records
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def text_of(records: list[logging.LogRecord]) -> str:
    """What the records would put in a log file, tracebacks included."""
    formatter = logging.Formatter("%(message)s")
    return "\n".join(formatter.format(r) for r in records)
