"""Bulk inserts in fixed-size chunks, one commit per chunk, with progress on stderr."""

from __future__ import annotations

import sys
import time

import click
from sqlalchemy import insert

from portal.extensions import db
from portal.models import Click, Conversion

CHUNK_ROWS = 20_000


def note(message: str) -> None:
    """A step of the work, on stderr so that stdout keeps only the sign-in details."""
    click.echo(message, err=True)


class Progress:
    """Rows written so far: a live line on a terminal, a line per tenth of the work otherwise."""

    def __init__(self, label: str, totals: dict[str, int]) -> None:
        self.label = label
        self.totals = totals
        self.done = dict.fromkeys(totals, 0)
        self.live = sys.stderr.isatty()
        self.started = time.perf_counter()
        self._tenths = 0

    def advance(self, name: str, rows: int) -> None:
        self.done[name] += rows
        whole, done = sum(self.totals.values()), sum(self.done.values())
        tenths = done * 10 // whole if whole else 10
        if self.live:
            click.echo(f"\r{self._line()}", nl=False, err=True)
        elif tenths > self._tenths:
            self._tenths = tenths
            click.echo(self._line(), err=True)

    def finish(self) -> None:
        if self.live:
            click.echo(f"\r{self._line()}", err=True)
        elif self._tenths < 10:
            click.echo(self._line(), err=True)

    def _line(self) -> str:
        parts = ", ".join(f"{name} {self.done[name]:,}/{self.totals[name]:,}" for name in self.totals)
        return f"  {self.label}: {parts} ({time.perf_counter() - self.started:.1f} s)"


class ChunkedWriter:
    """Buffers generated rows and inserts them CHUNK_ROWS at a time, so memory stays flat at any volume."""

    def __init__(self, progress: Progress, chunk_rows: int = CHUNK_ROWS) -> None:
        self.progress = progress
        self.chunk_rows = chunk_rows
        self.buffers: dict[str, list[dict]] = {"clicks": [], "conversions": []}

    def add(self, clicks: list[dict], conversions: list[dict]) -> None:
        self.buffers["clicks"].extend(clicks)
        self.buffers["conversions"].extend(conversions)
        for name, rows in self.buffers.items():
            if len(rows) >= self.chunk_rows:
                self._write(name)

    def close(self) -> None:
        for name in self.buffers:
            self._write(name)
        self.progress.finish()

    def _write(self, name: str) -> None:
        rows = self.buffers[name]
        if not rows:
            return
        table = (Click if name == "clicks" else Conversion).__table__
        # A Core insert of the table: one executemany per chunk, without the ORM's per-row bookkeeping.
        db.session.execute(insert(table), rows)
        db.session.commit()
        self.progress.advance(name, len(rows))
        self.buffers[name] = []
