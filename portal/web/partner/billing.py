"""Billing: the partner's balances, its invoices (status and date filters) and one invoice with its lines,
payments and balance. Everything through the façade; another partner's invoice is a 404."""

from __future__ import annotations

from datetime import date

from flask import abort, g, render_template, request, url_for

from portal.affiliate.parsing import page_of
from portal.domain.billing import INVOICE_STATUSES, InvoiceFilters
from portal.domain.errors import BadRequest
from portal.exports.invoice_pdf import InvoiceParties
from portal.exports.invoice_pdf import invoice_pdf as render_invoice_pdf
from portal.exports.invoices import invoice_csv as invoice_csv_chunks
from portal.http.downloads import stream_download
from portal.web.partner.blueprint import bp


def _day(name: str) -> date | None:
    value = request.args.get(name, "")
    if not value:
        return None
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


@bp.route("/billing")
def billing():
    args = request.args
    status = args.get("status", "")
    filters = InvoiceFilters(status=status if status in INVOICE_STATUSES else None,
                             start=_day("start_date"), end=_day("end_date"))
    balances = g.scope.billing_balances()
    try:
        paged = g.scope.invoices(filters, page_of(args))
    except BadRequest as err:
        return render_template("partner/billing.html", balances=balances, paged=None, error=err.message,
                               args=args, statuses=INVOICE_STATUSES), 400
    number = paged.page.page
    pages = {name: url_for("partner.billing", **{**args.to_dict(), "page": n})
             for name, n in (("previous", number - 1), ("next", number + 1)) if 1 <= n <= paged.pages}
    return render_template("partner/billing.html", balances=balances, paged=paged, pages=pages, error=None,
                           args=args, statuses=INVOICE_STATUSES)


@bp.route("/billing/invoices/<int:invoice_id>")
def invoice_detail(invoice_id: int):
    detail = g.scope.invoice(invoice_id)
    if detail is None:
        abort(404)
    return render_template("partner/invoice_detail.html", detail=detail, invoice=detail.invoice)


@bp.route("/billing/invoices/<int:invoice_id>/csv")
def invoice_csv(invoice_id: int):
    detail = g.scope.invoice(invoice_id)
    if detail is None:
        abort(404)
    return stream_download(invoice_csv_chunks(detail), f"{detail.invoice.number.lower()}.csv", "csv")


@bp.route("/billing/invoices/<int:invoice_id>.pdf")
def invoice_pdf(invoice_id: int):
    detail = g.scope.invoice(invoice_id)
    if detail is None:
        abort(404)
    account = g.scope.account()
    parties = InvoiceParties(network_name=g.scope.network().name, partner_name=account.name,
                             affiliate_id=account.affiliate_id, timezone=account.timezone)
    return stream_download([render_invoice_pdf(detail, parties)], f"{detail.invoice.number.lower()}.pdf", "pdf")
