"""Reporting endpoints: aggregated reports, conversions, on-hold conversions, clicks, dashboard, and exports."""

from __future__ import annotations

from flask import jsonify, request

from portal.affiliate import NotFound, criteria
from portal.api.affiliate import report_shapes as shapes
from portal.api.affiliate.blueprint import bp
from portal.api.affiliate.errors import ApiError
from portal.api.affiliate.views import principal
from portal.exports.conversions import conversion_frames
from portal.exports.names import export_filename
from portal.exports.reports import report_frame
from portal.exports.tabular import EXPORT_FORMATS, expect_rows, export_chunks
from portal.web.downloads import stream_download


def _body() -> dict:
    """The JSON object body; 415 for another media type, 400 for malformed JSON or a non-object."""
    if not request.is_json:
        raise ApiError(415, "Unsupported media type: send a JSON body with Content-Type: application/json")
    body = request.get_json(silent=True)
    if body is None:
        raise ApiError(400, "body: malformed JSON")
    if not isinstance(body, dict):
        raise ApiError(400, "body: must be a JSON object")
    return body


def _format(body: dict) -> str:
    fmt = body.get("format", "csv")
    if fmt not in EXPORT_FORMATS:
        raise ApiError(400, "format: must be csv, json or ndjson")
    return fmt


@bp.errorhandler(criteria.BadRequest)
def bad_request(err: criteria.BadRequest):
    return jsonify(error=err.message), 400


@bp.errorhandler(NotFound)
def not_found(_err: NotFound):
    return jsonify(error="Not found"), 404


@bp.post("/affiliates/reporting/entity/table")
def entity_table():
    scope = principal().scope
    return jsonify(shapes.report(scope.report(criteria.report_query(_body(), scope.timezone))))


@bp.post("/affiliates/reporting/entity/table/export")
def entity_table_export():
    body = _body()
    scope, fmt = principal().scope, _format(body)
    query = criteria.report_query(body, scope.timezone)
    frame = report_frame(scope.report(query), query.window.timezone)
    name = export_filename("report", query.window.first_day, query.window.last_day, fmt)
    return stream_download(export_chunks([frame], fmt), name, fmt)


@bp.post("/affiliates/reporting/conversions")
def conversions():
    scope = principal().scope
    page = criteria.page_of(request.args)
    found = scope.conversions(criteria.conversion_query(_body(), scope.timezone, request.args), page)
    return jsonify(conversions=[shapes.conversion(c) for c in found.items], paging=_paging(found))


@bp.post("/affiliates/reporting/conversions/export")
def conversions_export():
    body = _body()
    scope, fmt = principal().scope, _format(body)
    query = criteria.conversion_query(body, scope.timezone, request.args)
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
    page = criteria.page_of(request.args)
    query = criteria.conversion_query(_body(), scope.timezone, request.args, on_hold=True)
    found = scope.conversions(query, page)
    return jsonify(conversions=[shapes.on_hold(c) for c in found.items], paging=_paging(found))


@bp.post("/affiliates/reporting/clicks/stream")
def clicks_stream():
    scope = principal().scope
    result = scope.clicks(criteria.click_query(_body(), scope.timezone))
    rows = [shapes.click(k) for k in result.clicks]
    # Everflow's docs disagree on the key (`clicks` or `table`); both carry the same rows.
    return jsonify(clicks=rows, table=rows, incomplete_results=result.incomplete_results)


@bp.get("/affiliates/reporting/clicks/<transaction_id>")
def click(transaction_id: str):
    return jsonify(shapes.click(principal().scope.click(transaction_id)))


@bp.post("/affiliates/dashboard/summary")
def dashboard_summary():
    body = _body() if request.content_length else {}
    scope = principal().scope
    return jsonify(scope.dashboard_summary(criteria.timezone_name(body, scope.timezone)))


def _paging(found) -> dict:
    return {"page": found.page.page, "page_size": found.page.page_size, "total_count": found.total_count}
