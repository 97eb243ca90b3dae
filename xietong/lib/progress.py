"""A plain text progress bar on stderr for long commands (imports, data generation)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

BAR_WIDTH = 30


class ProgressBar:
    """Redrawn in place on one line; silent when ``total`` is below ``minimum``.

    ``label`` turns (bar, done, total) into the line, so each command says
    what it counts in its own translated words.
    """

    def __init__(
        self,
        total: int,
        label: Callable[[str, int, int], str],
        *,
        minimum: int = 0,
        stream: Any = None,
    ) -> None:
        self.total = max(total, 1)
        self.label = label
        self.minimum = minimum
        self.stream = stream or sys.stderr
        self.drawn = False

    def __call__(self, done: int) -> None:
        if self.total < self.minimum:
            return
        done = min(done, self.total)
        filled = BAR_WIDTH * done // self.total
        bar = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}]"
        self.stream.write("\r" + self.label(bar, done, self.total))
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """End the bar (drawn full: a declared total may be only an estimate)."""
        if self.drawn:
            self(self.total)
            self.stream.write("\n")
            self.stream.flush()


class ByteProgress:
    """Bytes copied so far, drawn as "[###…] 12/48 MB" every half per cent (never more often: a chunk is small).

    Silent (``bar`` None) when not asked for; ``advance`` is what a copying loop calls with each chunk's size.
    """

    def __init__(self, total: int, *, shown: bool) -> None:
        self.bar = (
            ProgressBar(total, lambda bar, done, all_: f"{bar} {done >> 20}/{all_ >> 20} MB")
            if shown
            else None
        )
        self.done = self.drawn = 0

    def advance(self, size: int) -> None:
        self.done += size
        if self.bar is not None and (self.done - self.drawn) * 200 >= self.bar.total:
            self.drawn = self.done
            self.bar(self.done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
