"""Constant frame rates: which rate a rendition plays at, and which source frame fills each
output frame. Pure functions, so the rules can be read and tested without a video."""
from __future__ import annotations

import math
from fractions import Fraction

MAX_FPS = 120
# NTSC rates are kept exact (24000/1001...), so a 29.97 fps clip does not drift by a frame a minute.
_NTSC = tuple(Fraction(n * 1000, 1001) for n in (24, 30, 48, 60, 120))
# Browsers show a GIF frame of 10 ms or less for 100 ms; the rendition shows what they show.
_BROWSER_MIN_MS, _BROWSER_DEFAULT_MS = 10, 100
# A frame held for minutes would make a rendition of thousands of identical frames.
MAX_HOLD_MS = 5000


def video_rate(average: Fraction | None) -> Fraction:
    """The source's average rate rounded sensibly: NTSC rates kept, others to whole frames per
    second, at least 1 and at most MAX_FPS."""
    if not average or average <= 0:
        return Fraction(30)
    for ntsc in _NTSC:
        if abs(average - ntsc) <= ntsc / 2000:
            return ntsc
    return Fraction(min(MAX_FPS, max(1, round(average))))


def shown_ms(durations_ms: list[int]) -> list[int]:
    """How long a browser shows each animation frame, with very long holds shortened."""
    return [min(MAX_HOLD_MS, _BROWSER_DEFAULT_MS if d <= _BROWSER_MIN_MS else d) for d in durations_ms]


def animation_rate(durations_ms: list[int]) -> Fraction:
    """A rate at which every frame of the animation gets at least one output frame: the exact
    rate of the frame grid when there is one, else fast enough for the shortest frame."""
    grid = math.gcd(*durations_ms)
    if Fraction(1000, grid) <= MAX_FPS:
        return Fraction(1000, grid)
    return Fraction(min(MAX_FPS, math.ceil(1000 / min(durations_ms))))


class ConstantRate:
    """Maps source presentation times to output frames at a constant rate.

    Each source frame goes to the output slot nearest its time; when two share a slot the
    later one wins (the earlier is not published), and an empty slot repeats the frame before.
    Use: for each frame, `n = place(seconds)` then emit the PREVIOUS frame n times; at the
    end, emit the last frame `finish(end_seconds)` times.
    """

    def __init__(self, rate: Fraction) -> None:
        self.rate = Fraction(rate)
        self.emitted = 0  # output frames handed out so far
        self._pending = False

    def place(self, seconds: float) -> int:
        slot = max(0, round(Fraction(seconds) * self.rate))
        if not self._pending:
            self._pending = True
            # The first frame is shown from the start, whatever its own time.
            return 0
        copies = max(0, slot - self.emitted)
        self.emitted += copies
        return copies

    def finish(self, end_seconds: float) -> int:
        if not self._pending:
            return 0
        end = max(self.emitted + 1, round(Fraction(end_seconds) * self.rate))
        copies = end - self.emitted
        self.emitted = end
        self._pending = False
        return copies


def animation_copies(durations_ms: list[int], rate: Fraction) -> list[int]:
    """How many output frames each animation frame fills at `rate`: about its duration, and
    never fewer than one, so no frame of the animation disappears."""
    starts, elapsed, previous = [], 0, -1
    for duration in durations_ms:
        start = max(round(Fraction(elapsed, 1000) * rate), previous + 1)
        starts.append(start)
        previous, elapsed = start, elapsed + duration
    end = max(round(Fraction(elapsed, 1000) * rate), starts[-1] + 1)
    return [b - a for a, b in zip(starts, starts[1:] + [end])]
