"""Dated export filenames: conversions_2026-11-01_2026-11-21.csv, report_sub1_2026-11-04_2026-12-03.csv."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from portal.exports.tabular import ARROW, EXPORT_FORMATS

_EXTENSIONS = {**{fmt: fmt for fmt in EXPORT_FORMATS}, ARROW: "arrows"}  # .arrows: Arrow's stream format
_KIND = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*")


def export_filename(kind: str, first_day: date, last_day: date, fmt: str) -> str:
    """`<kind>_<first day>_<last day>.<fmt>`, the days as the partner chose them (local dates, inclusive).

    Only lower-case ASCII letters, digits, '_', '-' and '.' appear, so the name needs no quoting in a
    Content-Disposition header and is safe on every file system.
    """
    if not _KIND.fullmatch(kind):
        raise ValueError(f"export kind {kind!r} must be lower-case letters and digits joined by '_'")
    if fmt not in _EXTENSIONS:
        raise ValueError(f"unknown export format {fmt!r}; one of {', '.join(_EXTENSIONS)}")
    if last_day < first_day:
        raise ValueError("last_day is before first_day")
    return f"{kind}_{first_day.isoformat()}_{last_day.isoformat()}.{_EXTENSIONS[fmt]}"


def report_kind(columns: Sequence[str]) -> str:
    """`report_sub1`, `report_date_offer`: a report's file names its grouping, so that a partner's exports of
    one period by different groupings do not overwrite each other or need renaming."""
    return "_".join(("report", *columns))
