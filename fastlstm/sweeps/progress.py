"""Progress of a sweep (and of ``fastlstm compile``): a bar on stderr, tqdm's, or a callback.

``_progress(progress, total)`` turns the ``progress=`` argument of ``sweep``
into an object with ``update(n)`` and ``close()``.
"""

from __future__ import annotations

import sys
import time

class _Bar:
    """A minimal progress bar on stderr (used when tqdm is not installed)."""

    def __init__(self, total, desc):
        self.total, self.desc, self.n, self.start = total, desc, 0, time.perf_counter()
        self._draw()

    def _draw(self):
        frac = self.n / self.total if self.total else 1.0
        filled = int(30 * frac)
        sys.stderr.write(f"\r{self.desc}: [{'#' * filled}{'.' * (30 - filled)}] "
                         f"{self.n}/{self.total} ({time.perf_counter() - self.start:.1f} s)")
        sys.stderr.flush()

    def update(self, n):
        self.n += n
        self._draw()

    def close(self):
        sys.stderr.write("\n")
        sys.stderr.flush()


class _Callback:
    """progress=callable: called as progress(done, total) after every chunk."""

    def __init__(self, fn, total):
        self.fn, self.total, self.n = fn, total, 0

    def update(self, n):
        self.n += n
        self.fn(self.n, self.total)

    def close(self):
        pass


class _Tqdm:
    """A tqdm bar whose finished state is drawn once: tqdm's close() redraws the bar (with
    the overall rate), so the update that finishes it only counts, without drawing."""

    def __init__(self, tqdm, total, desc, unit):
        self.bar = tqdm(total=total, desc=desc, unit=unit)

    def update(self, n):
        if self.bar.total is not None and self.bar.n + n >= self.bar.total:
            self.bar.n += n          # close() draws it
        else:
            self.bar.update(n)

    def close(self):
        self.bar.close()


class _Silent:
    def update(self, n):
        pass

    def close(self):
        pass


def _progress(progress, total, desc="sweep", unit="sets"):
    if callable(progress):
        return _Callback(progress, total)
    if not progress:
        return _Silent()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _Bar(total, desc)
    return _Tqdm(tqdm, total, desc, unit)
