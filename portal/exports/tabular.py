"""DataFrames to formula-safe CSV, to JSON and to NDJSON, as byte chunks that can be streamed."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd

# Cells starting with these are run as formulas by spreadsheet programs (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
EXPORT_FORMATS = ("csv", "json", "ndjson")

_PREFIX_CODES = np.array([ord(c) for c in FORMULA_PREFIXES], dtype=np.uint32)
_NEEDS_QUOTES = (",", '"', "\r", "\n")
_BOOL_TEXT = np.array(["False", "True"], dtype=object)
_FORMULA_OCTETS = np.frombuffer("=+-@\t".encode(), dtype=np.uint8)
_FORMULA_BYTES = {bytes([octet]) for octet in _FORMULA_OCTETS}
_COMMA, _NEWLINE = ord(","), ord("\n")


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


def _quoted(cell: str) -> str:
    """One cell as the csv module's minimal quoting writes it, except that a lone CR is quoted too
    (Python 3.11's csv module leaves it bare, and every CSV reader then breaks the row there)."""
    if any(c in cell for c in _NEEDS_QUOTES):
        return '"' + cell.replace('"', '""') + '"'
    return cell


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


class _Cells:
    """A column's cells as the strings pandas' to_csv would write (missing → ""), not yet quoted.

    `text`: may need quoting; `unsafe`: may need the formula prefix (text that is not yet formula-safe).
    """

    __slots__ = ("values", "text", "unsafe")

    def __init__(self, values, text: bool = False, unsafe: bool = False) -> None:
        self.values, self.text, self.unsafe = values, text, unsafe


def _csv_cells(series: pd.Series) -> _Cells | None:
    """None for a dtype left to pandas' own formatting (dates, categories, …)."""
    dtype = series.dtype
    if _is_text(series):
        cells = series.to_numpy(dtype=object, na_value="")
        if dtype == object and not all(type(v) is str for v in cells):  # exact type: str subclasses too
            # Mixed objects: only the strings need the prefix (a number stays a number), so do it now.
            return _Cells(np.array([str(formula_safe(v)) for v in cells], dtype=object), text=True)
        return _Cells(cells, text=True, unsafe=True)
    if dtype.kind not in "biuf":
        return None
    if isinstance(dtype, np.dtype):  # int, float, bool
        values = series.to_numpy()
        missing = np.isnan(values) if dtype.kind == "f" else None
    else:  # nullable Int64, Float64, boolean
        values = series.to_numpy(dtype=dtype.numpy_dtype, na_value=0)
        missing = series.isna().to_numpy()
    if dtype.kind == "b":
        cells = _BOOL_TEXT[values.astype(np.intp)]
    else:  # Python's str and repr write what numpy's astype(str) does, in a third less time
        cells = np.array(list(map(repr if dtype.kind == "f" else str, values.tolist())), dtype=object)
    if missing is not None and missing.any():
        cells[missing] = ""
    return _Cells(cells)


def _made_safe(cells: np.ndarray) -> np.ndarray:
    mask = _formula_mask(cells)
    if mask is None:
        return cells
    cells = cells.copy()
    cells[mask] = ["'" + cell for cell in cells[mask]]
    return cells


def _joined(columns: list) -> bytes:
    return ("\n".join(map(",".join, zip(*columns))) + "\n").encode("utf-8")


def _plain_csv(data: bytes, rows: int, width: int) -> bool:
    """Whether cells joined with commas and newlines are valid, formula-safe CSV as they stand.

    True when the bytes hold no quote and no CR, one comma between neighbouring cells and one newline
    per row (so no cell needed quoting), and no cell starts with = + - @ or a tab: with no quoting,
    every cell starts at the beginning or right after a comma or a newline. (A cell starting with CR or
    LF has already failed the first checks; UTF-8 never hides an ASCII byte inside a longer character.)
    Whole-buffer byte operations, so that a large export does not pay a per-cell check.
    """
    if b'"' in data or b"\r" in data or data.count(b",") != rows * (width - 1) or data.count(b"\n") != rows:
        return False
    if data[:1] in _FORMULA_BYTES:
        return False
    octets = np.frombuffer(data, dtype=np.uint8)
    firsts = octets[np.flatnonzero((octets[:-1] == _COMMA) | (octets[:-1] == _NEWLINE)) + 1]
    formula = firsts == _FORMULA_OCTETS[0]
    for octet in _FORMULA_OCTETS[1:]:  # a few comparisons beat np.isin
        formula |= firsts == octet
    return not formula.any()


def _csv_lines(columns: list[_Cells]) -> bytes:
    """Rows of formatted cells as UTF-8 CSV lines, each ending in "\n", text formula-safe.

    The cells are joined as they are and the result checked as a whole (the usual case: nothing to
    do). Otherwise the text columns are made formula-safe and quoted cell by cell and joined again;
    numeric columns are never prefixed (a negative number stays a number).
    """
    values = [column.values for column in columns]
    if len(columns) > 1:
        data = _joined(values)
        if _plain_csv(data, len(values[0]), len(values)):
            return data
    for i, column in enumerate(columns):
        if column.text:
            values[i] = [_quoted(cell) for cell in (_made_safe(column.values) if column.unsafe else column.values)]
    if len(values) == 1:  # a row of one empty cell would be a blank line, which readers skip
        values[0] = ['""' if cell == "" else cell for cell in values[0]]
    return _joined(values)


def _csv_bytes(frame: pd.DataFrame, header: bool) -> bytes:
    """The frame as UTF-8 CSV: what pandas' to_csv writes (minimal quoting, "\n" line ends, formula-safe
    text), but assembled from whole columns, several times faster than to_csv's row-by-row writer."""
    names = [str(c) for c in frame.columns]
    head = (",".join(_quoted(formula_safe(name)) for name in names) + "\n").encode("utf-8") if header else b""
    if frame.shape[1] == 0:
        return head
    columns = [_csv_cells(frame.iloc[:, i]) for i in range(frame.shape[1])]
    if any(cells is None for cells in columns):
        buffer = io.StringIO()
        _safe_frame(frame).to_csv(buffer, index=False, header=False, lineterminator="\n")
        return head + buffer.getvalue().encode("utf-8")
    if len(frame) == 0:
        return head
    return head + _csv_lines(columns)


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


def export_chunks(frames: Iterable[pd.DataFrame], fmt: str) -> Iterator[bytes]:
    """The byte chunks of an export in one of EXPORT_FORMATS."""
    writers = {"csv": csv_chunks, "json": json_chunks, "ndjson": ndjson_chunks}
    if fmt not in writers:
        raise ValueError(f"unknown export format {fmt!r}; one of {', '.join(EXPORT_FORMATS)}")
    return writers[fmt](frames)


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
