"""An aggregated report → one DataFrame: a column per dimension, then the metrics, exactly the rows on screen.

The summary (totals) is not a row of the export: a file of rows stays a table that reads back as the
same rows, and anyone who wants the totals can add the columns up (rates are derived from the totals).
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from portal.domain.criteria import TIME_COLUMNS
from portal.domain.records import Cell, Metrics, ReportResult

# Metric columns in order, with dtypes. Money in major units (cents / 100); CVR in percent (conversions
# per 100 clicks, 4 decimals, as on screen), CTR likewise (clicks per 100 impressions); EPC is earnings per
# click in major units, 4 decimals. Clicks are valid clicks; invalid ones have their own column.
REPORT_METRIC_COLUMNS: dict[str, str] = {
    "clicks": "int64",
    "unique_clicks": "int64",
    "invalid_clicks": "int64",
    "impressions": "int64",
    "ctr": "float64",
    "conversions": "int64",
    "events": "int64",
    "earnings": "float64",
    "cvr": "float64",
    "epc": "float64",
    "on_hold_conversions": "int64",
    "on_hold_earnings": "float64",
}
EPC_DECIMALS = 4


def report_columns(columns: tuple[str, ...]) -> dict[str, str]:
    """The export's columns for a report over these dimensions, with dtypes: the offer as its id and
    name; a time column as its local label plus the Unix timestamp of the period's start."""
    declared: dict[str, str] = {}
    for column in columns:
        if column == "offer":
            declared["offer_id"] = "Int64"
            declared["offer"] = "string"
        elif column in TIME_COLUMNS:
            declared[column] = "string"
            declared[f"{column}_unix_timestamp"] = "Int64"
        else:
            declared[column] = "string"
    return {**declared, **REPORT_METRIC_COLUMNS}


def report_frame(result: ReportResult, timezone: str) -> pd.DataFrame:
    """The report's rows (not its summary) as a DataFrame with declared columns; periods read in `timezone`."""
    declared = report_columns(result.columns)
    data: dict[str, list] = {name: [] for name in declared}
    tz = ZoneInfo(timezone)
    for row in result.rows:
        for cell in row.cells:
            if cell.column_type == "offer":
                data["offer_id"].append(int(cell.id) if cell.id.strip().isdigit() else None)
                data["offer"].append(cell.label)
            elif cell.column_type in TIME_COLUMNS:
                data[cell.column_type].append(cell.label)
                data[f"{cell.column_type}_unix_timestamp"].append(period_start(cell, tz))
            else:
                data[cell.column_type].append(cell.label)
        for name, value in _metric_values(row.metrics).items():
            data[name].append(value)
    return pd.DataFrame({name: pd.array(values, dtype=declared[name]) if declared[name] in ("string", "Int64")
                         else np.asarray(values, dtype=declared[name]) for name, values in data.items()})


def _metric_values(m: Metrics) -> dict[str, object]:
    return {
        "clicks": m.total_click, "unique_clicks": m.unique_click, "invalid_clicks": m.invalid_click,
        "impressions": m.imp, "ctr": m.ctr, "conversions": m.cv, "events": m.event,
        "earnings": m.revenue_cents / 100, "cvr": m.cvr, "epc": round(m.rpc_cents / 100, EPC_DECIMALS),
        "on_hold_conversions": m.on_hold_conversion_count,
        "on_hold_earnings": m.on_hold_potential_revenue_cents / 100,
    }


def period_start(cell: Cell, tz: ZoneInfo) -> int | None:
    """Unix time of the first instant of a time cell's local period (hour, date, ISO week, month, year).

    Read from the label, which is what the partner sees: 2026-11-01 13:00, 2026-11-01, 2026-W45,
    2026-11, 2026. In a DST change the first of two equal local hours is taken; a local midnight that
    does not exist starts at the transition.
    """
    label = cell.label
    try:
        if cell.column_type == "hour":
            local = datetime.strptime(label, "%Y-%m-%d %H:%M")
        elif cell.column_type == "date":
            local = datetime.combine(date.fromisoformat(label), time.min)
        elif cell.column_type == "week":
            year, week = label.split("-W")
            local = datetime.combine(date.fromisocalendar(int(year), int(week), 1), time.min)
        elif cell.column_type == "month":
            local = datetime.strptime(label, "%Y-%m")
        elif cell.column_type == "year":
            local = datetime(int(label), 1, 1)
        else:
            return None
    except ValueError:
        return None
    return _first_instant(local, tz)


def _first_instant(local: datetime, tz: ZoneInfo) -> int:
    # fold=0 reads an ambiguous wall time as its first occurrence, and a wall time inside a
    # spring-forward gap with the offset before the gap: a midnight that does not exist (DST starting
    # at 00:00) becomes the transition itself, the first instant of that day.
    return int(local.replace(tzinfo=tz, fold=0).timestamp())
