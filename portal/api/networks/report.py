"""The network's entity report: grouped totals of every partner → Everflow's `table` and `summary`.

`payout` is what the partners earned (the partner report's revenue), `revenue` what the network billed
(the conversions' network revenue), `profit` their difference and `margin` profit as a percentage of
revenue; sums are taken in cents and turned into currency units once, so figures add up to the cent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portal.api.networks.requests import NetworkReportQuery
from portal.domain.criteria import MAX_REPORT_ROWS, TIME_COLUMNS
from portal.models import Advertiser, Offer, Partner
from portal.queries import network_reports as q
from portal.queries import reports as partner_reports

_METRICS = ("clicks", "unique_clicks", "conversions", "events", "earnings_cents", "on_hold_conversions",
            "on_hold_earnings_cents", "impressions", "invalid_clicks", "network_revenue_cents")


def _money(cents: int | float) -> float:
    return round(cents / 100, 2)


def _rate(numerator: float, denominator: float, scale: float = 1, digits: int = 4) -> float:
    return round(scale * numerator / denominator, digits) if denominator else 0.0


def metrics(n: dict[str, int]) -> dict[str, Any]:
    clicks, cv, payout, revenue = n["clicks"], n["conversions"], n["earnings_cents"], n["network_revenue_cents"]
    profit = revenue - payout
    return {
        "imp": n["impressions"], "total_click": clicks, "unique_click": n["unique_clicks"],
        "invalid_click": n["invalid_clicks"], "duplicate_click": clicks - n["unique_clicks"],
        "gross_click": clicks + n["invalid_clicks"], "ctr": _rate(clicks, n["impressions"], 100),
        "cv": cv, "invalid_cv_scrub": 0, "view_through_cv": 0, "total_cv": cv, "event": n["events"],
        "cvr": _rate(cv, clicks, 100), "evr": _rate(n["events"], clicks, 100),
        "cpc": _rate(payout, clicks * 100), "cpm": _rate(payout * 10, n["impressions"]),
        "cpa": _rate(payout, cv * 100), "rpc": _rate(revenue, clicks * 100), "rpm": _rate(revenue * 10, n["impressions"]),
        "rpa": _rate(revenue, cv * 100), "payout": _money(payout), "revenue": _money(revenue),
        "profit": _money(profit), "margin": _rate(profit, revenue, 100, 2),
        "on_hold_conversion_count": n["on_hold_conversions"],
        "on_hold_potential_payout": _money(n["on_hold_earnings_cents"]),
    }


def _period(column: str, local: datetime) -> tuple:
    """The local period's sort key (cheap: one per UTC bucket); its text comes once per row (_period_text)."""
    if column == "hour":
        return (local.year, local.month, local.day, local.hour)
    if column == "date":
        return (local.year, local.month, local.day)
    if column == "week":
        iso = local.isocalendar()
        return (iso[0], iso[1])
    if column == "month":
        return (local.year, local.month)
    return (local.year,)


def _period_text(column: str, period: tuple) -> str:
    return {"hour": "{:04d}-{:02d}-{:02d} {:02d}:00", "date": "{:04d}-{:02d}-{:02d}", "week": "{:04d}-W{:02d}",
            "month": "{:04d}-{:02d}", "year": "{:04d}"}[column].format(*period)


def build(request: NetworkReportQuery) -> dict[str, Any]:
    query, window = request.query, request.query.window
    tz, columns = window.tz, request.columns
    time_column = next((c for c in columns if c in TIME_COLUMNS), None)
    wanted = [c for c in columns if c not in TIME_COLUMNS]
    # An advertiser is its offers': group (and filter) by offer, then map offers to advertisers.
    dims = [c for c in wanted if c != "advertiser"]
    if "advertiser" in wanted and "offer" not in dims:
        dims.append("offer")
    filters = dict(query.filters.by_type)
    network = dict(request.network_filters)
    if "affiliate" in network:
        filters["affiliate"] = tuple(str(i) for i in network["affiliate"])
    if "advertiser" in network:
        offer_ids = [str(i) for i in q.offers_of_advertisers(network["advertiser"])]
        if not offer_ids:
            return {"table": [], "summary": metrics(dict.fromkeys(_METRICS, 0)), "incomplete_results": False}
        kept = set(filters.get("offer", offer_ids))
        filters["offer"] = tuple(i for i in offer_ids if i in kept) or ("0",)
    bucket = partner_reports.bucket_seconds(tz, window.start, window.end)
    if q.rollups_can_answer(dims, set(filters), window.start, window.end, bucket):
        totals = q.from_rollups(dims, filters, window.start, window.end, query.include_test, time_column is not None)
    else:
        totals = partner_reports.from_raw(None, dims, filters, window.start, window.end, query.include_test,
                                          bucket if time_column else None)

    offer_at = dims.index("offer") if "offer" in dims else None
    advertisers = q.advertiser_of_offers(k[offer_at] for k in totals) if "advertiser" in wanted else {}
    # Re-key by the requested columns (several UTC buckets fall into one local period) and add up; per row
    # only attribute reads: a key's position map is fixed, the period's text is made once per merged row.
    at = {c: i for i, c in enumerate(dims)}
    plan = [(at[c] if c in at else c) for c in columns]
    merged: dict[tuple, list[int]] = {}
    for key, numbers in totals.items():
        if time_column:
            period = _period(time_column, datetime.fromtimestamp(key[-1] * bucket, tz))
        parts = []
        for step in plan:
            if step.__class__ is int:
                parts.append(key[step])
            elif step == time_column:
                parts.append(period)
            else:  # advertiser, from the row's offer
                offer = key[offer_at]
                parts.append(advertisers.get(offer) if offer is not None else None)
        merged_key = tuple(parts)
        slot = merged.get(merged_key)
        if slot is None:
            merged[merged_key] = list(numbers)
        else:
            for i, n in enumerate(numbers):
                slot[i] += n
    if time_column:
        where = columns.index(time_column)
        merged = {(*k[:where], (_period_text(time_column, k[where]), k[where]), *k[where + 1:]): v
                  for k, v in merged.items()}

    labels = _labels(columns, merged)
    rows, summary = [], [0] * len(_METRICS)
    for key, numbers in merged.items():
        cells = [_cell(c, v, labels) for c, v in zip(columns, key)]
        rows.append((cells, numbers))
        summary = [a + b for a, b in zip(summary, numbers)]
    rows.sort(key=lambda row: (-row[1][0], -row[1][4], [_sort(cell) for cell in row[0]]) if not time_column
              else [_sort(cell) for cell in row[0]])
    return {
        "table": [{"columns": [{k: cell[k] for k in ("column_type", "id", "label")} for cell in cells],
                   "reporting": metrics(dict(zip(_METRICS, numbers)))} for cells, numbers in rows[:MAX_REPORT_ROWS]],
        "summary": metrics(dict(zip(_METRICS, summary))),
        "incomplete_results": len(rows) > MAX_REPORT_ROWS,
    }


def _labels(columns, merged) -> dict[str, dict[int, str]]:
    models = {"affiliate": Partner, "offer": Offer, "advertiser": Advertiser}
    return {c: q.names(models[c], (key[i] for key in merged)) for i, c in enumerate(columns) if c in models}


def _cell(column: str, value, labels) -> dict[str, Any]:
    if isinstance(value, tuple):  # a time period: (text, sort key)
        return {"column_type": column, "id": value[0], "label": value[0], "sort": (0, value[1])}
    if value is None or value == "":
        return {"column_type": column, "id": "", "label": "", "sort": (1, "")}
    if column in labels:
        return {"column_type": column, "id": str(value), "label": labels[column].get(int(value), ""),
                "sort": (0, int(value))}
    return {"column_type": column, "id": str(value), "label": str(value), "sort": (1, str(value))}


def _sort(cell) -> tuple:
    return cell["sort"]
