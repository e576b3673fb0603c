"""Icons drawn at run time: one per state, small, telling apart, training fills a ring."""

from __future__ import annotations

import itertools

from panza.daemon.tray import icons
from panza.daemon.tray.model import State


def test_one_small_distinct_icon_per_state() -> None:
    images = {state: icons.icon(state, 50 if state is State.TRAINING else None) for state in State}
    for state, img in images.items():
        assert img.size == (64, 64) and img.mode == "RGBA"
        assert img.getpixel((2, 2))[3] == 0  # round, not square: corners are transparent
        # the disc carries the state's colour (left edge of the disc, clear of the glyph)
        x = 14 if state is State.TRAINING else 8
        assert img.getpixel((x, 32)) == icons.COLOURS[state], state
    for a, b in itertools.combinations(images, 2):
        assert images[a].tobytes() != images[b].tobytes(), (a, b)
    # still tell apart when the panel shrinks them to 16 px
    small = {s: img.convert("RGB").resize((16, 16)).getpixel((3, 8)) for s, img in images.items()}
    assert len(set(small.values())) == len(State)


def ring_pixels(percent: int | None) -> int:
    img = icons.icon(State.TRAINING, percent)
    purple = icons.COLOURS[State.TRAINING]
    # only the ring (outside the inner disc) counts
    return sum(
        1
        for x in range(64)
        for y in range(64)
        if (x - 31.5) ** 2 + (y - 31.5) ** 2 > 25**2 and img.getpixel((x, y)) == purple
    )


def test_training_ring_fills_with_percent() -> None:
    filled = [ring_pixels(p) for p in (0, 10, 42, 75, 100)]
    assert filled[0] == 0
    assert filled == sorted(filled) and len(set(filled)) == len(filled)
    assert ring_pixels(None) > 0  # unknown progress still shows "working"
    assert icons.icon(State.TRAINING, 42) is icons.icon(State.TRAINING, 42)  # cached
