"""Reporting endpoints: aggregated reports, conversions, on-hold conversions, clicks, dashboard, and exports."""

from __future__ import annotations

from flask import jsonify, request

from portal.affiliate import parsing
from portal.api.affiliate import report_shapes as shapes
from portal.api.affiliate.blueprint import bp
from portal.api.affiliate.envelope import json_body, paging
from portal.api.affiliate.operations import ORDER, PAGING, Routes, download, paged, ref
from portal.api.affiliate.views import principal
from portal.domain.criteria import MAX_CLICK_DAYS, MAX_CLICK_ROWS, MAX_REPORT_ROWS
from portal.domain.errors import BadRequest, NotFound
from portal.exports.conversions import CONVERSION_COLUMNS, conversion_frames
from portal.exports.names import export_filename, report_kind
from portal.exports.reports import REPORT_METRIC_COLUMNS, report_frame
from portal.exports.tabular import expect_rows, export_chunks
from portal.http.downloads import stream_download

routes = Routes("Reporting")
# Everflow's docs disagree on the key (`clicks` or `table`); both carry the same rows.
CLICK_ROWS = {"type": "object", "required": ["clicks", "table", "incomplete_results"], "additionalProperties": False,
              "properties": {"clicks": {"type": "array", "items": ref("Click")},
                             "table": {"type": "array", "items": ref("Click")},
                             "incomplete_results": {"type": "boolean"}}}


@bp.errorhandler(BadRequest)
def bad_request(err: BadRequest):
    return jsonify(error=err.message), 400


@bp.errorhandler(NotFound)
def not_found(_err: NotFound):
    return jsonify(error="Not found"), 404


@routes.post("/affiliates/reporting/entity/table", "Aggregated report", ok="Report", body="ReportRequest",
             description=f"At most {MAX_REPORT_ROWS:,} rows (then incomplete_results is true), "
                         "plus a summary over all rows.")
def entity_table():
    scope = principal().scope
    return jsonify(shapes.report(scope.report(parsing.report_query(json_body(), scope.timezone))))


@routes.post("/affiliates/reporting/entity/table/export", "Aggregated report as a file", body="ReportExportRequest",
             ok=download("report", REPORT_METRIC_COLUMNS, fixed=False))
def entity_table_export():
    body = json_body()
    scope, fmt = principal().scope, parsing.export_format(body)
    query = parsing.report_query(body, scope.timezone)
    frame = report_frame(scope.report(query), query.window.timezone)
    name = export_filename(report_kind(query.columns), query.window.first_day, query.window.last_day, fmt)
    return stream_download(export_chunks([frame], fmt), name, fmt)


@routes.post("/affiliates/reporting/conversions", "Conversions and events, paged", body="ConversionsRequest",
             ok=paged("conversions", "Conversion"), params=PAGING + ORDER)
def conversions():
    scope = principal().scope
    page = parsing.page_of(request.args)
    found = scope.conversions(parsing.conversion_query(json_body(), scope.timezone, request.args), page)
    return jsonify(conversions=[shapes.conversion(c) for c in found.items], paging=paging(found))


@routes.post("/affiliates/reporting/conversions/export", "Every matching conversion as a file",
             body="ConversionsExportRequest", ok=download("conversions", CONVERSION_COLUMNS, fixed=True), params=ORDER)
def conversions_export():
    body = json_body()
    scope, fmt = principal().scope, parsing.export_format(body)
    query = parsing.conversion_query(body, scope.timezone, request.args)
    rows = scope.conversion_export(query)
    frames = expect_rows(conversion_frames(rows.batches, query.window.timezone), rows.count)
    name = export_filename("conversions", query.window.first_day, query.window.last_day, fmt)
    return stream_download(export_chunks(frames, fmt), name, fmt)


@routes.get("/affiliates/reporting/conversions/<conversion_id>", "One conversion", ok="Conversion", extra=(404,))
def conversion(conversion_id: str):
    return jsonify(shapes.conversion(principal().scope.conversion(conversion_id)))


@routes.post("/affiliates/reporting/onhold", "On-hold conversions, paged", body="OnHoldRequest",
             ok=paged("conversions", "OnHoldConversion"), params=PAGING + ORDER)
def on_hold():
    scope = principal().scope
    page = parsing.page_of(request.args)
    query = parsing.conversion_query(json_body(), scope.timezone, request.args, on_hold=True)
    found = scope.conversions(query, page)
    return jsonify(conversions=[shapes.on_hold(c) for c in found.items], paging=paging(found))


@routes.post("/affiliates/reporting/clicks/stream", "Raw clicks", body="ClicksRequest", ok=CLICK_ROWS,
             description=f"At most {MAX_CLICK_DAYS} days and {MAX_CLICK_ROWS:,} clicks; the rows "
                         "are under both `clicks` and `table`.")
def clicks_stream():
    scope = principal().scope
    result = scope.clicks(parsing.click_query(json_body(), scope.timezone))
    rows = [shapes.click(k) for k in result.clicks]
    return jsonify(clicks=rows, table=rows, incomplete_results=result.incomplete_results)


@routes.get("/affiliates/reporting/clicks/<transaction_id>", "One click", ok="Click", extra=(404,))
def click(transaction_id: str):
    return jsonify(shapes.click(principal().scope.click(transaction_id)))


@routes.post("/affiliates/dashboard/summary", "Today, yesterday, this month and last month", ok="DashboardSummary",
             body="DashboardRequest", body_required=False)  # the body is optional: it has a default timezone
def dashboard_summary():
    body = json_body() if request.content_length else {}
    scope = principal().scope
    return jsonify(scope.dashboard_summary(parsing.timezone_name(body, scope.timezone)))

