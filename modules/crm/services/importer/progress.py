"""Progress on stderr: a rich bar with rows/s on a terminal, plain lines every few seconds otherwise.
Only counts are shown, never a value from the file."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from modules.crm.services.importer.context import Counts


class Progress:
    counts: Counts | None = None  # the run's counts so far (rows good and bad), kept up to date by the run

    def track(self, counts: Counts) -> None:
        self.counts = counts

    def start(self, total: int | None) -> None: ...

    def advance(self, rows: int) -> None: ...

    def finish(self) -> None: ...


class PlainProgress(Progress):
    def __init__(self, stream: TextIO, every: float = 5.0) -> None:
        self.stream, self.every = stream, every
        self.done, self.t0, self.last = 0, time.monotonic(), time.monotonic()
        self.total: int | None = None

    def start(self, total: int | None) -> None:
        self.total, self.t0 = total, time.monotonic()
        self.last = self.t0

    def _line(self) -> None:
        rate = self.done / max(time.monotonic() - self.t0, 1e-9)
        of = f" of ~{self.total:,}" if self.total else ""
        print(f"import: {self.done:,}{of} rows ({rate:,.0f} rows/s)", file=self.stream, flush=True)

    def advance(self, rows: int) -> None:
        self.done += rows
        if time.monotonic() - self.last >= self.every:
            self.last = time.monotonic()
            self._line()

    def finish(self) -> None:
        self._line()


class RichProgress(Progress):
    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bar

        self.bar: Any = Bar(TextColumn("import"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[rate]:,.0f} rows/s"), TimeElapsedColumn(),
                            console=Console(file=stream), transient=False)
        self.task: Any = None
        self.t0 = time.monotonic()
        self.done = 0

    def start(self, total: int | None) -> None:
        self.t0 = time.monotonic()
        self.bar.start()
        self.task = self.bar.add_task("import", total=total, rate=0.0)

    def advance(self, rows: int) -> None:
        self.done += rows
        rate = self.done / max(time.monotonic() - self.t0, 1e-9)
        self.bar.update(self.task, advance=rows, rate=rate)

    def finish(self) -> None:
        if self.task is not None:
            self.bar.update(self.task, total=self.done)
        self.bar.stop()


def for_stream(stream: TextIO | None = None) -> Progress:
    stream = stream or sys.stderr
    return RichProgress(stream) if stream.isatty() else PlainProgress(stream)
