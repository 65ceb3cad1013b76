"""Progress reporting: a rich progress bar on a terminal, plain log lines otherwise."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)


class Reporter:
    """Counts work done; shows it as a bar (tty) or a line every ``interval`` seconds."""

    def __init__(
        self,
        description: str,
        total: int | None = None,
        stream: TextIO | None = None,
        interval: float = 5.0,
        force_terminal: bool | None = None,
    ) -> None:
        self.description = description
        self.total = total
        self.done = 0
        self.fields: dict[str, object] = {}
        self._stream = stream or sys.stderr
        tty = self._stream.isatty() if force_terminal is None else force_terminal
        self._interval = interval
        self._last = 0.0
        self._start = time.monotonic()
        self._progress: Progress | None = None
        self._task = None
        if tty:
            console = Console(file=self._stream, force_terminal=True)
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[info]}"),
                TimeElapsedColumn(),
                console=console,
                transient=False,
            )

    def __enter__(self) -> Reporter:
        if self._progress is not None:
            self._progress.start()
            self._task = self._progress.add_task(self.description, total=self.total, info="")
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if self._progress is not None:
            self._progress.stop()
        elif exc_type is None:  # a failed stage says why in its error, not "done"
            self._log(final=True)

    def advance(self, n: int = 1, **fields: object) -> None:
        self.done += n
        self.fields.update(fields)
        if self._progress is not None and self._task is not None:
            info = "  ".join(f"{k}={v}" for k, v in self.fields.items())
            self._progress.update(self._task, advance=n, info=info, total=self.total)
        else:
            now = time.monotonic()
            if now - self._last >= self._interval:
                self._log()

    def note(self, text: str) -> None:
        """A line saying what the stage does now, shown at once (above the bar on a tty)."""
        if self._progress is not None:
            self._progress.console.print(f"{self.description}: {text}", markup=False)
        else:
            print(f"[thresher] {self.description}: {text}", file=self._stream, flush=True)

    def _log(self, final: bool = False) -> None:
        self._last = time.monotonic()
        elapsed = self._last - self._start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        total = f"/{self.total}" if self.total is not None else ""
        info = " ".join(f"{k}={v}" for k, v in self.fields.items())
        word = "done" if final else "progress"
        print(
            f"[thresher] {self.description}: {word} {self.done}{total} "
            f"({rate:.1f}/s, {elapsed:.1f}s) {info}".rstrip(),
            file=self._stream,
            flush=True,
        )


@contextmanager
def report(description: str, total: int | None = None, **kw: object) -> Iterator[Reporter]:
    with Reporter(description, total, **kw) as r:  # type: ignore[arg-type]
        yield r


def phase(reporter: Any, text: str) -> None:
    """Say what the run does now: one line at once, then in the progress line's fields."""
    if reporter is None:
        return
    note = getattr(reporter, "note", None)
    if note is not None:
        note(text)
        reporter.fields["phase"] = text  # shown with the next progress line
    else:
        reporter.advance(0, phase=text)


@contextmanager
def slow_phase(reporter: Any, text: str, after: float = 1.0) -> Iterator[None]:
    """Say ``text`` (as :func:`phase`) only when the work inside takes more than ``after``
    seconds: a long input hash is announced, a quick error stays the only line."""
    if reporter is None:
        yield
        return
    timer = threading.Timer(after, phase, (reporter, text))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
