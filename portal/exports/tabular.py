"""DataFrames to formula-safe CSV, to JSON and to NDJSON, as byte chunks that can be streamed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import csv as pa_csv

# Cells starting with these are run as formulas by spreadsheet programs (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
EXPORT_FORMATS = ("csv", "json", "ndjson")
# Apache Arrow's IPC stream format (typed columns, read without parsing): offered where a program, not a
# person, reads the file: the Network API's conversion export, which a portal in upstream mode reads.
ARROW = "arrow"

_PREFIX_CODES = np.array([ord(c) for c in FORMULA_PREFIXES], dtype=np.uint32)


class RowCountMismatch(RuntimeError):
    """An export produced a different number of rows than its query counted: the file must not look complete."""


def formula_safe(value):
    """Prefix a string that a spreadsheet would run as a formula with a single quote; others untouched."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _formula_mask(cells: np.ndarray) -> np.ndarray | None:
    """Which cells are strings that need the prefix, or None when none does.

    Vectorised: numpy cuts every cell to its first character in C (far faster than a Python
    startswith per cell, which dominated large exports); only the few hits are looked at one by one.
    """
    firsts = cells.astype("U1").view(np.uint32)  # "" becomes code 0
    mask = np.isin(firsts, _PREFIX_CODES)
    if not mask.any():
        return None
    for i in np.flatnonzero(mask):
        mask[i] = isinstance(cells[i], str)  # an object column may hold a negative number
    return mask if mask.any() else None


def _is_text(series: pd.Series) -> bool:
    return series.dtype == object or pd.api.types.is_string_dtype(series.dtype)


def _safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A shallow copy whose text cells and headers are formula-safe; numeric, boolean and date columns untouched."""
    safe = frame.copy(deep=False)
    for position in range(safe.shape[1]):
        series = safe.iloc[:, position]
        if not _is_text(series):
            continue
        mask = _formula_mask(series.to_numpy(dtype=object, na_value=""))
        if mask is not None:
            fixed = series.copy()
            fixed[mask] = "'" + series[mask]
            safe.isetitem(position, fixed)
    safe.columns = [formula_safe(str(c)) for c in safe.columns]
    return safe


def _arrow_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """What Arrow's writer needs, written as pandas would: object columns holding more than strings (a
    number among text) and dates as text ("2026-01-02 03:04:05+00:00"); a lone column's missing cells as
    empty strings, so that no row is written as a blank line."""
    ready = frame
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        mixed = series.dtype == object and not all(type(v) is str for v in series.dropna())
        if mixed or series.dtype.kind == "M":
            ready = ready.copy(deep=False) if ready is frame else ready
            ready.isetitem(position, series.map(str, na_action="ignore").astype("string"))
    if frame.shape[1] == 1 and _is_text(ready.iloc[:, 0]):
        ready = ready.fillna("")
    return ready


def _csv_bytes(frame: pd.DataFrame, header: bool) -> bytes:
    """The frame as UTF-8 CSV with formula-safe text, written by Arrow's CSV writer (in C++, several times
    faster than to_csv's row-by-row writer): text quoted, numbers and booleans bare, missing cells empty."""
    if frame.shape[1] == 0:
        return b""
    table = pa.Table.from_pandas(_arrow_ready(_safe_frame(frame)), preserve_index=False)
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(table, sink, pa_csv.WriteOptions(include_header=header, quoting_style="needed"))
    return sink.getvalue().to_pybytes()


def csv_chunks(frames: Iterable[pd.DataFrame]) -> Iterator[bytes]:
    """UTF-8 CSV with one header row, chunk by chunk; string cells and headers are formula-safe."""
    header = True
    for frame in frames:
        yield _csv_bytes(frame, header)
        header = False


def json_chunks(frames: Iterable[pd.DataFrame]) -> Iterator[bytes]:
    """A JSON array of records, chunk by chunk (missing values become null).

    The opening bracket goes out with the first records, so that a failure before any row was
    read happens before the first byte, where the web layer can still answer with an error status.
    """
    opening = "["
    for frame in frames:
        records = frame.to_json(orient="records", date_format="iso", force_ascii=False)
        inner = records[1:-1]
        if not inner:
            continue
        yield (opening + inner).encode("utf-8")
        opening = ","
    yield b"[]" if opening == "[" else b"]"


def ndjson_chunks(frames: Iterable[pd.DataFrame]) -> Iterator[bytes]:
    """Newline-delimited JSON: one record per line, each line ending in a newline (missing values are null)."""
    for frame in frames:
        if frame.empty:
            continue
        lines = frame.to_json(orient="records", lines=True, date_format="iso", force_ascii=False)
        yield (lines.rstrip("\n") + "\n").encode("utf-8")


def arrow_chunks(frames: Iterable[pd.DataFrame]) -> Iterator[bytes]:
    """An Arrow IPC stream: the schema (from the first frame's columns and dtypes), one record batch per
    frame, the end-of-stream marker. Values are typed and exact, so no cell needs a formula guard."""
    schema: pa.Schema | None = None
    for frame in frames:
        table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
        if schema is None:
            schema = table.schema.remove_metadata()
            table = table.replace_schema_metadata(None)
            yield schema.serialize().to_pybytes()
        for batch in table.to_batches():
            yield batch.serialize().to_pybytes()
    if schema is None:
        yield pa.schema([]).serialize().to_pybytes()
    yield b"\xff\xff\xff\xff\x00\x00\x00\x00"  # end of stream (continuation marker, zero length)


_WRITERS = {"csv": csv_chunks, "json": json_chunks, "ndjson": ndjson_chunks, ARROW: arrow_chunks}


def export_chunks(frames: Iterable[pd.DataFrame], fmt: str) -> Iterator[bytes]:
    """The byte chunks of an export in one of EXPORT_FORMATS (or ARROW)."""
    if fmt not in _WRITERS:
        raise ValueError(f"unknown export format {fmt!r}; one of {', '.join(_WRITERS)}")
    return _WRITERS[fmt](frames)


UTF8_BOM = "\ufeff".encode()


def excel_friendly(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The same CSV led by a UTF-8 byte-order mark, without which Excel reads the file as the system's
    legacy code page and garbles every non-ASCII character (é, ü, 😀). The mark rides on the first chunk, so
    that the query still runs when the download's first chunk is read."""
    chunks = iter(chunks)
    yield UTF8_BOM + next(chunks, b"")
    yield from chunks


def expect_rows(frames: Iterable[pd.DataFrame], expected: int) -> Iterator[pd.DataFrame]:
    """Pass the frames on, then raise RowCountMismatch if they held a different number of rows than expected.

    Raised after the last frame, so a streamed download breaks off instead of ending as a clean, wrong file.
    """
    seen = 0
    for frame in frames:
        seen += len(frame)
        if seen > expected:
            raise RowCountMismatch(f"export produced more than the {expected} rows its query counted")
        yield frame
    if seen != expected:
        raise RowCountMismatch(f"export produced {seen} rows; its query counted {expected}")
