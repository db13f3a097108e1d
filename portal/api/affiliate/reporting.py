"""Reporting endpoints: aggregated reports, conversions, on-hold conversions, clicks, dashboard, and exports."""

from __future__ import annotations

from flask import jsonify, request

from portal.affiliate import parsing
from portal.api.affiliate import report_shapes as shapes
from portal.api.affiliate.blueprint import bp
from portal.api.affiliate.envelope import json_body, paging
from portal.api.affiliate.views import principal
from portal.domain.errors import BadRequest, NotFound
from portal.exports.conversions import conversion_frames
from portal.exports.names import export_filename
from portal.exports.reports import report_frame
from portal.exports.tabular import expect_rows, export_chunks
from portal.http.downloads import stream_download


@bp.errorhandler(BadRequest)
def bad_request(err: BadRequest):
    return jsonify(error=err.message), 400


@bp.errorhandler(NotFound)
def not_found(_err: NotFound):
    return jsonify(error="Not found"), 404


@bp.post("/affiliates/reporting/entity/table")
def entity_table():
    scope = principal().scope
    return jsonify(shapes.report(scope.report(parsing.report_query(json_body(), scope.timezone))))


@bp.post("/affiliates/reporting/entity/table/export")
def entity_table_export():
    body = json_body()
    scope, fmt = principal().scope, parsing.export_format(body)
    query = parsing.report_query(body, scope.timezone)
    frame = report_frame(scope.report(query), query.window.timezone)
    name = export_filename("report", query.window.first_day, query.window.last_day, fmt)
    return stream_download(export_chunks([frame], fmt), name, fmt)


@bp.post("/affiliates/reporting/conversions")
def conversions():
    scope = principal().scope
    page = parsing.page_of(request.args)
    found = scope.conversions(parsing.conversion_query(json_body(), scope.timezone, request.args), page)
    return jsonify(conversions=[shapes.conversion(c) for c in found.items], paging=paging(found))


@bp.post("/affiliates/reporting/conversions/export")
def conversions_export():
    body = json_body()
    scope, fmt = principal().scope, parsing.export_format(body)
    query = parsing.conversion_query(body, scope.timezone, request.args)
    rows = scope.conversion_export(query)
    frames = expect_rows(conversion_frames(rows.batches, query.window.timezone), rows.count)
    name = export_filename("conversions", query.window.first_day, query.window.last_day, fmt)
    return stream_download(export_chunks(frames, fmt), name, fmt)


@bp.get("/affiliates/reporting/conversions/<conversion_id>")
def conversion(conversion_id: str):
    return jsonify(shapes.conversion(principal().scope.conversion(conversion_id)))


@bp.post("/affiliates/reporting/onhold")
def on_hold():
    scope = principal().scope
    page = parsing.page_of(request.args)
    query = parsing.conversion_query(json_body(), scope.timezone, request.args, on_hold=True)
    found = scope.conversions(query, page)
    return jsonify(conversions=[shapes.on_hold(c) for c in found.items], paging=paging(found))


@bp.post("/affiliates/reporting/clicks/stream")
def clicks_stream():
    scope = principal().scope
    result = scope.clicks(parsing.click_query(json_body(), scope.timezone))
    rows = [shapes.click(k) for k in result.clicks]
    # Everflow's docs disagree on the key (`clicks` or `table`); both carry the same rows.
    return jsonify(clicks=rows, table=rows, incomplete_results=result.incomplete_results)


@bp.get("/affiliates/reporting/clicks/<transaction_id>")
def click(transaction_id: str):
    return jsonify(shapes.click(principal().scope.click(transaction_id)))


@bp.post("/affiliates/dashboard/summary")
def dashboard_summary():
    body = json_body() if request.content_length else {}
    scope = principal().scope
    return jsonify(scope.dashboard_summary(parsing.timezone_name(body, scope.timezone)))

