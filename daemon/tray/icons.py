"""Tray icons drawn with Pillow at run time: an envelope on a disc whose colour and mark
say the state; training adds a ring that fills with its percent."""

from __future__ import annotations

import math
from functools import lru_cache

from PIL import Image, ImageDraw

from panza.daemon.tray.model import State

SIZE = 64
WHITE = (255, 255, 255, 255)
TRACK = (210, 210, 210, 255)

# Disc colour per state; distinct in hue and brightness so the icon reads at 16 px too.
COLOURS: dict[State, tuple[int, int, int, int]] = {
    State.IDLE: (46, 125, 50, 255),
    State.SYNCING: (21, 101, 192, 255),
    State.TRAINING: (106, 27, 154, 255),
    State.PAUSED: (117, 117, 117, 255),
    State.ERROR: (198, 40, 40, 255),
}


@lru_cache(maxsize=64)
def icon(state: State, percent: int | None = None) -> Image.Image:
    """The icon for ``state``; for training, ``percent`` (0-100) fills the outer ring."""
    img = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    ring = state is State.TRAINING
    inset = 9 if ring else 2
    draw.ellipse((inset, inset, SIZE - 1 - inset, SIZE - 1 - inset), fill=COLOURS[state])
    if ring:
        _ring(draw, percent)
    if state is State.PAUSED:
        _pause_bars(draw)
    elif state is State.ERROR:
        _exclamation(draw)
    else:
        _envelope(draw, small=ring or state is State.SYNCING)
        if state is State.SYNCING:
            _arrows(draw)
    return img


def _ring(draw: ImageDraw.ImageDraw, percent: int | None) -> None:
    box = (1, 1, SIZE - 2, SIZE - 2)
    draw.arc(box, 0, 360, fill=TRACK, width=6)
    if percent is None:  # progress unknown: a fixed quarter says "working"
        draw.arc(box, -90, 0, fill=COLOURS[State.TRAINING], width=6)
    elif percent > 0:
        end = -90 + 360 * min(percent, 100) / 100
        draw.arc(box, -90, end, fill=COLOURS[State.TRAINING], width=6)


def _envelope(draw: ImageDraw.ImageDraw, small: bool) -> None:
    c, w, h = SIZE / 2, (26 if small else 34) / 2, (18 if small else 24) / 2
    left, top, right, bottom = c - w, c - h, c + w, c + h
    draw.rectangle((left, top, right, bottom), outline=WHITE, width=3)
    draw.line((left, top, c, c + 2, right, top), fill=WHITE, width=3, joint="curve")


def _arrows(draw: ImageDraw.ImageDraw) -> None:
    # Two arcs chasing each other round the envelope: the usual "refreshing" mark.
    c, r = SIZE / 2, 23
    box = (c - r, c - r, c + r, c + r)
    for start in (200, 20):
        end = start + 120
        draw.arc(box, start, end, fill=WHITE, width=4)
        a = math.radians(end)
        tip = (c + r * math.cos(a), c + r * math.sin(a))
        ahead = math.radians(end + 90)  # clockwise tangent (y points down)
        out = (math.cos(a), math.sin(a))
        head = (tip[0] + 7 * math.cos(ahead), tip[1] + 7 * math.sin(ahead))
        draw.polygon(
            (
                (tip[0] + 6 * out[0], tip[1] + 6 * out[1]),
                head,
                (tip[0] - 6 * out[0], tip[1] - 6 * out[1]),
            ),
            fill=WHITE,
        )


def _pause_bars(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((21, 18, 28, 46), fill=WHITE)
    draw.rectangle((36, 18, 43, 46), fill=WHITE)


def _exclamation(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((28, 13, 36, 38), fill=WHITE)
    draw.ellipse((27, 43, 37, 53), fill=WHITE)
