"""The SQL backend's reports: grouped totals (portal.queries.reports) as rows: local periods, labels, order, cap."""

from __future__ import annotations

from datetime import UTC, datetime

from portal.domain.criteria import MAX_REPORT_ROWS, TIME_COLUMNS, ReportQuery
from portal.domain.records import Cell, Metrics, ReportResult, ReportRow
from portal.queries import reports as q


def build_report(partner_id: int, query: ReportQuery, currency: str) -> ReportResult:
    window, tz = query.window, query.window.tz
    time_column = query.time_column
    dims = [c for c in query.columns if c not in TIME_COLUMNS]
    filters = dict(query.filters.by_type)
    bucket = q.bucket_seconds(tz, window.start, window.end)
    if q.rollups_can_answer(dims, set(filters), window.start, window.end, bucket):
        totals = q.from_rollups(partner_id, dims, filters, window.start, window.end, query.include_test,
                                with_time=time_column is not None)
    else:
        totals = q.from_raw(partner_id, dims, filters, window.start, window.end, query.include_test,
                            bucket if time_column else None)

    # Re-key by local period (several UTC buckets fall into one local day) and add up.
    merged: dict[tuple, list[int]] = {}
    for key, numbers in totals.items():
        if time_column:
            period = _period(time_column, datetime.fromtimestamp(key[-1] * bucket, UTC).astimezone(tz))
            key = (*key[:-1], period)
        slot = merged.setdefault(key, [0] * len(numbers))
        for i, n in enumerate(numbers):
            slot[i] += n

    names = q.offer_names(key[dims.index("offer")] for key in merged) if "offer" in dims else {}
    rows = []
    for key, numbers in merged.items():
        cells = []
        for position, column in enumerate(dims):
            cells.append(_cell(column, key[position], names))
        if time_column:
            cells.append(_time_cell(time_column, key[-1]))
        # Keep the requested column order (a time column may be listed first).
        ordered = tuple(sorted(cells, key=lambda cell: query.columns.index(cell.column_type)))
        rows.append(ReportRow(ordered, _metrics(numbers)))

    summary = sum((row.metrics for row in rows), Metrics())
    if time_column:
        rows.sort(key=lambda row: tuple(_sort_value(cell) for cell in row.cells))
    else:
        rows.sort(key=lambda row: (-row.metrics.total_click, -row.metrics.revenue_cents,
                                   tuple(_sort_value(cell) for cell in row.cells)))
    incomplete = len(rows) > MAX_REPORT_ROWS
    return ReportResult(columns=query.columns, rows=rows[:MAX_REPORT_ROWS], summary=summary,
                        incomplete_results=incomplete, currency=currency)


def _metrics(numbers: list[int]) -> Metrics:
    # ROLLUP_METRICS order; the network's revenue (last) is never a partner's figure.
    clicks, unique, conversions, events, earnings, on_hold, on_hold_earnings, impressions, invalid, _network = numbers
    return Metrics(total_click=clicks, unique_click=unique, cv=conversions, event=events, revenue_cents=earnings,
                   on_hold_conversion_count=on_hold, on_hold_potential_revenue_cents=on_hold_earnings,
                   imp=impressions, invalid_click=invalid)


def _period(column: str, local: datetime) -> tuple:
    if column == "hour":
        return (local.year, local.month, local.day, local.hour)
    if column == "date":
        return (local.year, local.month, local.day)
    if column == "week":
        iso = local.date().isocalendar()
        return (iso.year, iso.week)
    if column == "month":
        return (local.year, local.month)
    return (local.year,)


def _time_cell(column: str, period: tuple) -> Cell:
    if column == "hour":
        text = "{:04d}-{:02d}-{:02d} {:02d}:00".format(*period)
    elif column == "date":
        text = "{:04d}-{:02d}-{:02d}".format(*period)
    elif column == "week":
        text = "{:04d}-W{:02d}".format(*period)
    elif column == "month":
        text = "{:04d}-{:02d}".format(*period)
    else:
        text = f"{period[0]:04d}"
    return Cell(column, text, text, sort_key=period)


def _cell(column: str, value, offer_names: dict[int, str]) -> Cell:
    if value is None or value == "":
        return Cell(column, "", "", sort_key="")
    if column == "offer":
        return Cell(column, str(value), offer_names.get(int(value), f"Offer {value}"), sort_key=int(value))
    return Cell(column, str(value), str(value), sort_key=str(value))


def _sort_value(cell: Cell):
    return (0, cell.sort_key) if not isinstance(cell.sort_key, str) else (1, cell.sort_key)
