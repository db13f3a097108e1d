"""The Reports page: an aggregated report from a bookmarkable GET form, its chart, and its exports."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial

from flask import g, render_template, request, url_for

from portal.affiliate.parsing import report_query
from portal.domain.criteria import ReportQuery
from portal.domain.errors import BadRequest
from portal.domain.records import ReportResult
from portal.exports.names import export_filename, report_kind
from portal.exports.reports import report_frame
from portal.exports.tabular import excel_friendly, export_chunks
from portal.http.downloads import stream_download
from portal.web.partner import report_form
from portal.web.partner.blueprint import bp
from portal.web.partner.chart import LineChart, compact_line_chart, line_chart
from portal.web.partner.report_table import (BY_KEY, DEFAULT_CHART_METRIC, METRIC_KEYS, METRICS, WHOLE_KINDS, Metric,
                                             metric_text, sort_rows, time_series, value_text)

DEFAULT_PRESET = "last_7_days"
# One click to the sub_id report: earnings by sub1 (or sub1 and sub2) over the last 30 days, best first.
SUB_ID_REPORTS = (("Sub ID report", ("sub1",)), ("Sub 1 + Sub 2", ("sub1", "sub2")))


@dataclass(frozen=True)
class AskedReport:
    period: report_form.Period
    query: ReportQuery
    sort: str | None
    descending: bool
    metric: Metric  # the one the chart draws


@bp.route("/reports")
def reports():
    try:
        asked = _read(request.args)
        result = g.scope.report(asked.query)
    except BadRequest as err:
        return _page(error=err.message), 400
    return _page(asked, result, sort_rows(result, asked.sort, asked.descending), _charts(asked, result))


@bp.route("/reports/export.<any(csv, json):fmt>")
def reports_export(fmt: str):
    """Every row of the report on screen (same parameters, same order) as a file."""
    try:
        asked = _read(request.args)
        result = g.scope.report(asked.query)
    except BadRequest as err:
        return _page(error=err.message), 400
    shown = replace(result, rows=sort_rows(result, asked.sort, asked.descending))
    window = asked.query.window
    filename = export_filename(report_kind(asked.query.columns), window.first_day, window.last_day, fmt)
    chunks = export_chunks([report_frame(shown, window.timezone)], fmt)
    if report_form.excel_friendly_asked(request.args, fmt):
        chunks = excel_friendly(chunks)
    return stream_download(chunks, filename, fmt)


def _read(args) -> AskedReport:
    period = report_form.period_of(args, g.scope.timezone, datetime.now(UTC), DEFAULT_PRESET)
    columns = report_form.columns_of(args)
    query = report_query(report_form.report_body(args, period, columns), g.scope.timezone)
    sort = args.get("sort") or None
    if sort is not None and sort not in query.columns and sort not in BY_KEY:
        raise BadRequest("sort", f"must be one of the report's columns or {', '.join(METRIC_KEYS)}")
    # Metrics read best first, dimensions (dates, names) in their natural order.
    direction = report_form.choice(args, "dir", ("asc", "desc"), "desc" if sort in BY_KEY else "asc")
    metric = BY_KEY[report_form.choice(args, "metric", METRIC_KEYS, DEFAULT_CHART_METRIC)]
    return AskedReport(period, query, sort, direction == "desc", metric)


def _charts(asked: AskedReport, result: ReportResult) -> list[tuple[Metric, LineChart, LineChart]]:
    """Every metric over time (drawn wide and for a phone), when the report has a time column: the page shows
    the chosen one and its script switches between them without running the report again."""
    time_column = asked.query.time_column
    if time_column is None or not result.rows:
        return []
    charts = []
    for metric in METRICS:
        points = time_series(result, time_column, metric)
        text = partial(value_text, metric.kind, currency=result.currency)
        whole = metric.kind in WHOLE_KINDS
        charts.append((metric, line_chart(points, text, whole=whole), compact_line_chart(points, text, whole=whole)))
    return charts


def _links(asked: AskedReport, args) -> dict:
    """Sortable headers and export links: this report's parameters with one change each."""
    shown = {"column": list(asked.query.columns)}  # the default column too, when the URL named none
    labels = dict(report_form.DIMENSIONS)
    columns = [(c, labels.get(c, c), False) for c in asked.query.columns] + [(m.key, m.label, True) for m in METRICS]
    headers = report_form.sort_headers(columns, asked.sort, asked.descending, lambda key, direction: url_for(
        "partner.reports", **report_form.query_args(args, **shown, sort=key, dir=direction)))
    exports = report_form.export_urls("partner.reports_export",
                                      report_form.query_args(args, **shown, **asked.period.pinned()))
    return {"headers": headers, "exports": exports}


def _page(asked: AskedReport | None = None, result: ReportResult | None = None, rows=None,
          charts: list[tuple[Metric, LineChart, LineChart]] = (), error: str | None = None):
    args = request.args
    return render_template(
        "partner/reports.html", asked=asked, result=result, rows=rows, charts=charts, error=error, args=args,
        period=asked.period if asked else report_form.as_typed(args),
        columns=asked.query.columns if asked else report_form.columns_of(args),
        chart_metric=asked.metric.key if asked else args.get("metric", DEFAULT_CHART_METRIC),
        dimensions=report_form.DIMENSIONS, dimension_labels=dict(report_form.DIMENSIONS), metrics=METRICS,
        metric_text=metric_text, sub_id_reports=SUB_ID_REPORTS,
        **(_links(asked, args) if asked else {"headers": [], "exports": {}}),
        **report_form.form_choices(g.scope.timezone),
    )
