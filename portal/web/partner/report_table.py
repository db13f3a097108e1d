"""The report table's metric columns: how each is read, sorted, charted and written for people."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from portal.domain.records import Metrics, ReportResult, ReportRow
from portal.exports.reports import EPC_DECIMALS
from portal.web.filters import money


@dataclass(frozen=True)
class Metric:
    key: str  # the name in ?sort= and ?metric=, and the API's name where there is one
    label: str
    kind: str  # count, percent, money (minor units) or epc (minor units per click)
    value: Callable[[Metrics], float]


METRICS = (
    Metric("total_click", "Clicks", "count", lambda m: m.total_click),
    Metric("unique_click", "Unique clicks", "count", lambda m: m.unique_click),
    Metric("invalid_click", "Invalid clicks", "count", lambda m: m.invalid_click),
    Metric("imp", "Impressions", "count", lambda m: m.imp),
    Metric("ctr", "CTR", "percent", lambda m: m.ctr),
    Metric("cv", "Conversions", "count", lambda m: m.cv),
    Metric("cvr", "CVR", "percent", lambda m: m.cvr),
    Metric("event", "Events", "count", lambda m: m.event),
    Metric("revenue", "Earnings", "money", lambda m: m.revenue_cents),
    Metric("rpc", "EPC", "epc", lambda m: m.rpc_cents),
    Metric("on_hold", "On hold", "count", lambda m: m.on_hold_conversion_count),
)
BY_KEY = {m.key: m for m in METRICS}
METRIC_KEYS = tuple(BY_KEY)
DEFAULT_CHART_METRIC = "revenue"
# Metrics counted in whole units (money in cents): a chart's axis steps by at least one, so that no two
# gridlines carry the same label ($0.01, $0.01).
WHOLE_KINDS = ("count", "money")


def value_text(kind: str, value: float, currency: str) -> str:
    """A metric value as the page shows it (table cells and chart axis labels alike)."""
    if kind == "money":
        return money(int(round(value)), currency)
    if kind == "epc":
        return epc_text(Decimal(repr(value)), currency)
    if kind == "percent":
        return f"{value:.2f}%"
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.1f}"


def metric_text(metric: Metric, metrics: Metrics, currency: str) -> str:
    if metric.kind == "epc":
        # From the integer totals, so that the shown EPC is the exact quotient rounded once.
        cents = Decimal(metrics.revenue_cents) / metrics.total_click if metrics.total_click else Decimal(0)
        return epc_text(cents, currency)
    return value_text(metric.kind, metric.value(metrics), currency)


def epc_text(cents: Decimal, currency: str) -> str:
    """Earnings per click, always with EPC_DECIMALS decimals ($0.1235, $1.5000): a cent's fraction matters at
    this scale, and one precision keeps a column of EPCs aligned and comparable (the exports use the same)."""
    amount = (cents / 100).quantize(Decimal(1).scaleb(-EPC_DECIMALS), rounding=ROUND_HALF_UP)
    text = f"{amount:,.{EPC_DECIMALS}f}"
    # Where the currency goes (symbol before, code after) is the money filter's rule, kept in one place.
    before, after = money(0, currency).split("0.00")
    return f"{before}{text}{after}"


def sort_rows(result: ReportResult, key: str | None, descending: bool) -> list[ReportRow]:
    """Rows ordered by a metric or by one of the report's dimensions (its sort key, else its label);
    None keeps the backend's order."""
    if key is None:
        return list(result.rows)
    if key in BY_KEY:
        read = BY_KEY[key].value
        return sorted(result.rows, key=lambda row: read(row.metrics), reverse=descending)
    index = result.columns.index(key)

    def cell_key(row: ReportRow):
        cell = row.cells[index]
        return cell.sort_key if cell.sort_key is not None else cell.label

    return sorted(result.rows, key=cell_key, reverse=descending)


def time_series(result: ReportResult, time_column: str, metric: Metric) -> list[tuple[str, float]]:
    """One point per time bucket, in time order; rows split by other dimensions are added up first
    (rates are derived from the summed totals, never summed themselves)."""
    index = result.columns.index(time_column)
    buckets: dict[object, tuple[str, Metrics]] = {}
    for row in result.rows:
        cell = row.cells[index]
        order = cell.sort_key if cell.sort_key is not None else cell.label
        label, total = buckets.get(order, (cell.label, Metrics()))
        buckets[order] = (label, total + row.metrics)
    return [(label, metric.value(total)) for _, (label, total) in sorted(buckets.items())]
