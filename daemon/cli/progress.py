"""Progress bars on a terminal, silence elsewhere (logs and pipes stay clean)."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Never

from tqdm import tqdm


class Progress:
    """A byte- or item-count bar drawn on stderr only when it is a terminal."""

    def __init__(self, total: int | None, unit: str = "B", desc: str = "") -> None:
        self._bar: tqdm[Never] | None = None
        if sys.stderr.isatty():
            self._bar = tqdm(
                total=total,
                unit=unit,
                unit_scale=unit == "B",
                desc=desc,
                file=sys.stderr,
                leave=False,
                dynamic_ncols=True,
            )
        self._pos = 0

    def update_to(self, position: int) -> None:
        if self._bar is not None and position > self._pos:
            self._bar.update(position - self._pos)
        self._pos = max(self._pos, position)

    def set(self, done: int, total: int | None) -> None:
        """Move to ``done`` of ``total`` (the total may become known late)."""
        if self._bar is not None and total is not None and self._bar.total != total:
            self._bar.total = total
            self._bar.refresh()
        self.update_to(done)

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.close()
