"""Reporting: the entity report of the whole network, conversion search and lookup, the click stream."""

from __future__ import annotations

from flask import jsonify, request

from portal.api.networks import report, requests, shapes
from portal.api.networks.blueprint import route
from portal.api.networks.envelope import json_body, network, page, paging
from portal.domain.criteria import MAX_CLICK_ROWS, MAX_TRANSACTION_ID
from portal.domain.errors import BadRequest, NotFound
from portal.domain.text import text_fault
from portal.exports.names import export_filename
from portal.exports.network_conversions import export_columns, network_conversion_frames
from portal.exports.tabular import ARROW, expect_rows, export_chunks
from portal.http.downloads import CONTENT_TYPES, stream_download
from portal.queries import network_activity as activity

MAX_CONVERSION_ID = 64
EXPORT_BATCH_ROWS = 5_000
# Everflow's formats (csv, json); newline-delimited JSON (jsonl is its other name) and Apache Arrow's IPC
# stream as this API's extensions.
EXPORT_FORMATS = {"csv": "csv", "json": "json", "ndjson": "ndjson", "jsonl": "ndjson", ARROW: ARROW}
ROW_COUNT_HEADER = "X-Row-Count"  # this API's extension: the rows the file holds, counted in the same snapshot


@route("POST", "/reporting/entity/table", "Aggregated report of every affiliate (payout, revenue, profit, margin)",
       "Reporting", body="EntityReportRequest", ok="EntityReport", extra=(400,))
def entity_table():
    return jsonify(report.build(requests.report_query(json_body(), network().timezone)))


@route("POST", "/reporting/conversions", "Search conversions of every affiliate, paged", "Reporting",
       body="ConversionSearchRequest", ok="ConversionPage", query=("page", "page_size", "order_field",
                                                                   "order_direction"), extra=(400,))
def conversions():
    settings = network()
    query = requests.conversion_query(json_body(), settings.timezone, request.args)
    wanted = page()
    rows = activity.conversion_page(query, wanted.offset, wanted.page_size)
    return jsonify(conversions=[shapes.conversion(row, settings.id) for row in rows],
                   paging=paging(wanted, activity.conversion_count(query)))


@route("POST", "/reporting/conversions/export", "Every matching conversion of every affiliate, as a file",
       "Reporting", body="ConversionExportRequest", ok="download", query=("order_field", "order_direction"),
       extra=(400,), description=(
           "The conversion search's body plus `format` (`csv` or `json`, as Everflow; this API's extensions: "
           "`ndjson`, also called `jsonl`, one JSON object a line, and `arrow`, Apache Arrow's IPC stream "
           "format with typed columns; `json` asked with an `Accept` header that prefers "
           "`application/vnd.apache.arrow.stream` is answered as `arrow` too) and `columns` (column names, or `offer`, "
           "`affiliate`, `advertiser` for their ids; absent: every column). Every matching row, no paging, "
           "streamed from one snapshot of the database; `X-Row-Count` (this API's extension) is the number of "
           "rows the file holds. A download that fails part-way breaks off instead of ending short. CSV cells "
           "that a spreadsheet would run as a formula start with `'`."))
def conversions_export():
    body = json_body()
    fmt = EXPORT_FORMATS.get(body.get("format")) if isinstance(body.get("format"), str) else None
    if fmt is None:
        raise BadRequest("format", "must be one of " + ", ".join(EXPORT_FORMATS))
    if fmt == "json" and request.accept_mimetypes.best_match([CONTENT_TYPES["json"], CONTENT_TYPES[ARROW]]) \
            == CONTENT_TYPES[ARROW]:
        fmt = ARROW  # the client reads Arrow and prefers it (a portal in upstream mode asks so)
    columns = export_columns(body.get("columns"))
    query = requests.conversion_query(body, network().timezone, request.args)
    rows = activity.conversion_export(query, EXPORT_BATCH_ROWS)
    frames = expect_rows(network_conversion_frames(rows.batches, columns), rows.count)
    name = export_filename("conversions", query.window.first_day, query.window.last_day, fmt)
    response = stream_download(export_chunks(frames, fmt), name, fmt)
    response.headers[ROW_COUNT_HEADER] = str(rows.count)
    response.vary.add("Accept")  # json may be answered as Arrow when the Accept header prefers it
    return response


@route("GET", "/reporting/conversions/<conversion_id>", "One conversion by its id", "Reporting",
       ok="Conversion", extra=(404,))
def conversion(conversion_id: str):
    row = activity.conversion_by_id(conversion_id) if _searchable(conversion_id, MAX_CONVERSION_ID) else None
    if row is None:
        raise NotFound("conversion")
    return jsonify(shapes.conversion(row, network().id))


@route("POST", "/reporting/clicks/stream", "Raw clicks of every affiliate, newest first (at most 10,000)",
       "Reporting", body="ClickStreamRequest", ok="ClickStream", extra=(400,))
def clicks_stream():
    settings = network()
    query = requests.click_query(json_body(), settings.timezone)
    limit = 2 * MAX_CLICK_ROWS  # Everflow's network stream returns up to 10,000 clicks
    rows = activity.newest_clicks(query.window.start, query.window.end, query.filters, query.include_test, limit + 1)
    converted = activity.converted([row[0] for row in rows[:limit]])
    return jsonify(clicks=[shapes.click(row, row[0] in converted, settings.id) for row in rows[:limit]],
                   incomplete_results=len(rows) > limit)


@route("GET", "/reporting/clicks/<transaction_id>", "One click by its transaction id", "Reporting",
       ok="Click", extra=(404,))
def click(transaction_id: str):
    row = activity.click_by_transaction_id(transaction_id) if _searchable(transaction_id, MAX_TRANSACTION_ID) else None
    if row is None:
        raise NotFound("click")
    return jsonify(shapes.click(row, bool(activity.converted([transaction_id])), network().id))


def _searchable(text: str, longest: int) -> bool:
    """An id that could be stored: not too long, no NUL, no lone surrogate (anything else names nothing)."""
    return len(text) <= longest and text_fault(text) is None
