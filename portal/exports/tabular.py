"""DataFrames to formula-safe CSV and to JSON, as byte chunks that can be streamed."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator

import pandas as pd

# Cells starting with these are run as formulas by spreadsheet programs (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def formula_safe(value):
    """Prefix a string that a spreadsheet would run as a formula with a single quote; others untouched."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    safe = frame.copy(deep=False)
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(formula_safe)
    safe.columns = [formula_safe(str(c)) for c in safe.columns]
    return safe


def csv_chunks(frames: Iterable[pd.DataFrame]) -> Iterator[bytes]:
    """UTF-8 CSV with one header row, chunk by chunk; string cells and headers are formula-safe."""
    header = True
    for frame in frames:
        buffer = io.StringIO()
        _safe_frame(frame).to_csv(buffer, index=False, header=header, lineterminator="\n")
        header = False
        yield buffer.getvalue().encode("utf-8")


def json_chunks(frames: Iterable[pd.DataFrame]) -> Iterator[bytes]:
    """A JSON array of records, chunk by chunk (missing values become null)."""
    yield b"["
    first = True
    for frame in frames:
        records = frame.to_json(orient="records", date_format="iso", force_ascii=False)
        inner = records[1:-1]
        if not inner:
            continue
        yield (inner if first else "," + inner).encode("utf-8")
        first = False
    yield b"]"
