"""The Conversions pages: search and page through conversions, one conversion's details, the on-hold list,
a click lookup by transaction id, and exports of every matching conversion."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from flask import abort, g, render_template, request, url_for

from portal.affiliate.parsing import conversion_query, page_of
from portal.domain.criteria import MAX_PAGE_SIZE, ConversionQuery, Paged
from portal.domain.errors import BadRequest, NotFound
from portal.exports.conversions import conversion_frames
from portal.exports.names import export_filename
from portal.exports.tabular import excel_friendly, expect_rows, export_chunks
from portal.http.downloads import stream_download
from portal.web.partner import report_form
from portal.web.partner.blueprint import bp

DEFAULT_PRESET = "last_30_days"
PAGE_SIZES = (50, 100, 500, 1000, MAX_PAGE_SIZE)
# The on-hold tab's filter (the API's on_hold_status_filter): still held by default, or how holds ended.
HOLD_STATUSES = (("on_hold", "Still on hold"), ("approved", "Released"), ("rejected", "Rejected"), ("", "All"))
# Sortable columns: the API's order_field names; amounts sort largest first on the first click.
SORTABLE = {"conversion_unix_timestamp": ("Time", False), "offer": ("Offer", False), "status": ("Status", False),
            "revenue": ("Payout", True), "sale_amount": ("Sale amount", True)}


@bp.route("/conversions")
def conversions():
    return _listing(on_hold=False)


@bp.route("/conversions/on-hold")
def on_hold():
    return _listing(on_hold=True)


@bp.route("/conversions/export.<any(csv, json):fmt>")
def conversions_export(fmt: str):
    return _export(fmt, on_hold=False)


@bp.route("/conversions/on-hold/export.<any(csv, json):fmt>")
def on_hold_export(fmt: str):
    return _export(fmt, on_hold=True)


@bp.route("/conversions/<conversion_id>")
def conversion_detail(conversion_id: str):
    try:
        record = g.scope.conversion(conversion_id)
    except NotFound:
        abort(404)  # unknown and another partner's look the same
    return render_template("partner/conversion_detail.html", record=record, tz=g.scope.timezone)


@bp.route("/clicks/lookup")
def click_lookup():
    transaction_id = request.args.get("transaction_id", "").strip()
    if not transaction_id:
        return render_template("partner/click_lookup.html", transaction_id="", click=None, tz=g.scope.timezone)
    try:
        click = g.scope.click(transaction_id)
    except NotFound:
        # One answer for an unknown id and another partner's, so ids cannot be probed.
        return render_template("partner/click_lookup.html", transaction_id=transaction_id, click=None,
                               not_found=True, tz=g.scope.timezone), 404
    return render_template("partner/click_lookup.html", transaction_id=transaction_id, click=click,
                           tz=g.scope.timezone, currency=g.scope.currency)


def _read(args, on_hold: bool) -> tuple[report_form.Period, ConversionQuery]:
    period = report_form.period_of(args, g.scope.timezone, datetime.now(UTC), DEFAULT_PRESET)
    hold_status = args.get("on_hold_status", "on_hold") if on_hold else None
    body = report_form.conversion_body(args, period, hold_status)
    query = conversion_query(body, g.scope.timezone, args, on_hold=on_hold)
    return period, replace(query, transaction_prefix=report_form.transaction_prefix(args))


def _listing(on_hold: bool):
    try:
        period, query = _read(request.args, on_hold)
        paged = g.scope.conversions(query, page_of(request.args))
    except BadRequest as err:
        return _page(on_hold, error=err.message), 400
    return _page(on_hold, period, query, paged)


def _export(fmt: str, on_hold: bool):
    """Every matching conversion, not one page: read in batches and streamed as they come."""
    try:
        _, query = _read(request.args, on_hold)
    except BadRequest as err:
        return _page(on_hold, error=err.message), 400
    window = query.window
    rows = g.scope.conversion_export(query)
    frames = expect_rows(conversion_frames(rows.batches, window.timezone), rows.count)
    filename = export_filename("on_hold_conversions" if on_hold else "conversions", window.first_day,
                               window.last_day, fmt)
    chunks = export_chunks(frames, fmt)
    if report_form.excel_friendly_asked(request.args, fmt):
        chunks = excel_friendly(chunks)
    return stream_download(chunks, filename, fmt)


def _page(on_hold: bool, period: report_form.Period | None = None, query: ConversionQuery | None = None,
          paged: Paged | None = None, error: str | None = None):
    args = request.args
    endpoint = "partner.on_hold" if on_hold else "partner.conversions"
    headers, exports, pages = [], {}, {}
    if query is not None:
        columns = [(key, label, numeric) for key, (label, numeric) in SORTABLE.items()]
        headers = report_form.sort_headers(columns, query.order_field, query.descending, lambda key, direction: url_for(
            endpoint, **report_form.query_args(args, order_field=key, order_direction=direction, page=None)))
        export_endpoint = "partner.on_hold_export" if on_hold else "partner.conversions_export"
        exports = report_form.export_urls(export_endpoint, report_form.query_args(
            args, page=None, page_size=None, **period.pinned()))
        number = paged.page.page
        pages = {name: url_for(endpoint, **report_form.query_args(args, page=str(n)))
                 for name, n in (("previous", number - 1), ("next", number + 1)) if 1 <= n <= paged.pages}
    return render_template(
        "partner/conversions.html", on_hold=on_hold, endpoint=endpoint, args=args, error=error,
        period=period or report_form.as_typed(args), query=query, paged=paged, headers=headers, exports=exports,
        pages=pages, page_sizes=PAGE_SIZES, hold_statuses=HOLD_STATUSES,
        hold_status=args.get("on_hold_status", "on_hold"), **report_form.form_choices(g.scope.timezone),
    )
