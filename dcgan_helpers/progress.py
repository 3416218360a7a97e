"""A dependency-free progress bar for long preparation steps (downloads, image decoding)."""

import sys
import time


class ProgressBar:
    """``label [#####.....]  40%  1,234/3,000  12.3 s`` redrawn in place on stderr, at most 5 times a second."""

    def __init__(self, total: int, label: str, unit: str = "", stream=None, width: int = 30):
        self.total, self.label, self.unit, self.width = max(total, 0), label, unit, width
        self.stream = stream or sys.stderr
        self.done = 0
        self.started = self.drawn_at = time.perf_counter()

    def advance(self, amount: int = 1) -> None:
        self.done += amount
        now = time.perf_counter()
        if now - self.drawn_at >= 0.2 or self.done >= self.total:
            self.drawn_at = now
            self._draw(end="")

    def close(self) -> None:
        self._draw(end="\n")

    def _draw(self, end: str) -> None:
        fraction = min(self.done / self.total, 1.0) if self.total else 1.0
        filled = int(fraction * self.width)
        seconds = time.perf_counter() - self.started
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {fraction:4.0%}  "
            f"{self.done:,}/{self.total:,}{self.unit}  {seconds:.1f} s{end}"
        )
        self.stream.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
