"""Staff billing (billing:manage): invoices, invoice runs, payments, adjustments and voids.

Runs, payments, adjustments and voids are services (portal.services.invoices, payments,
billing_adjustments); these views parse forms and render.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.domain.billing import balances_by_currency
from portal.domain.clock import utcnow
from portal.domain.invoice_periods import unfinished_period
from portal.exports.invoice_pdf import InvoiceParties
from portal.exports.invoice_pdf import invoice_pdf as render_invoice_pdf
from portal.http.downloads import stream_download
from portal.queries import billing as billing_queries
from portal.queries import partners as partner_queries
from portal.queries.settings import network_settings
from portal.services.billing_adjustments import AdjustmentError, add_adjustment
from portal.services.invoices import BillingError, generate_invoices, month_period, void_invoice
from portal.services.payments import record_payment
from portal.web.guards import requires
from portal.web.staff.billing_forms import MAX_PARTNER_ID, AdjustmentForm, ConfirmForm, PaymentForm, RunForm, cents
from portal.web.staff.blueprint import bp
from portal.web.staff.views import PARTNER_TABS

MANAGE = "billing:manage"
PAGE_SIZE = 50
STATUSES = ("unpaid", "paid", "void")


def _int_arg(name: str, high: int = MAX_PARTNER_ID) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and 0 < int(value) <= high else None


@bp.route("/invoices")
@requires(MANAGE)
def invoices():
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    partner_id = _int_arg("partner_id")
    page = _int_arg("page", 10_000) or 1
    total, rows = billing_queries.staff_invoices(status, partner_id, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    return render_template("staff/invoices.html", rows=rows, total=total, page=page, page_size=PAGE_SIZE,
                           status=status, partner_id=partner_id, statuses=STATUSES)


@bp.route("/invoices/run", methods=["GET", "POST"])
@requires(MANAGE)
def run_invoices():
    form = RunForm()
    if not form.validate_on_submit():
        return render_template("staff/invoice_run.html", form=form), 400 if request.method == "POST" else 200
    try:
        start, end = (month_period(form.month.data) if form.scope.data == "month"
                      else (form.start.data, form.end.data))
        if end < start:
            raise BillingError("The range ends before it starts.")
    except BillingError as err:
        form.month.errors = [str(err)]
        return render_template("staff/invoice_run.html", form=form), 400
    if unfinished := unfinished_period(end, utcnow(), network_settings().timezone):
        # Refused before the confirmation page too; generate_invoices refuses it for every door.
        (form.month if form.scope.data == "month" else form.end).errors = [unfinished]
        return render_template("staff/invoice_run.html", form=form), 400
    partner_id = form.partner_id.data if form.scope.data == "range" else None
    partner = partner_queries.partner(partner_id) if partner_id else None
    if partner_id and partner is None:
        form.partner_id.errors = ["No such partner."]
        return render_template("staff/invoice_run.html", form=form), 400
    if form.confirmed.data != "yes":
        form.confirmed.data = "yes"
        return render_template("staff/invoice_run_confirm.html", form=form, start=start, end=end, partner=partner)
    try:
        result = generate_invoices(start, end, [partner_id] if partner_id else None, current_user,
                                   ip=request.remote_addr)
    except BillingError as err:
        form.month.errors = [str(err)]
        return render_template("staff/invoice_run.html", form=form), 400
    flash(f"{len(result.invoices)} invoice(s) created for {start} to {end}; "
          f"{len(result.below_threshold)} partner balance(s) under the minimum payout carried to the next run."
          + (f" {len(result.not_over)} partner(s) whose timezone is still in the period's last day were left for "
             "a later run." if result.not_over else ""))
    return redirect(url_for("staff.invoices"))


def _invoice_or_404(invoice_id: int):
    found = billing_queries.staff_invoice(invoice_id) if 0 < invoice_id <= MAX_PARTNER_ID else None
    if found is None:
        abort(404)
    return found


def _invoice_page(invoice_id: int, payment_form: PaymentForm | None = None, status: int = 200):
    invoice, partner = _invoice_or_404(invoice_id)
    return render_template("staff/invoice.html", invoice=invoice, partner=partner,
                           lines=billing_queries.lines(partner.id, invoice.id),
                           payments=billing_queries.payments(partner.id, invoice.id),
                           payment_form=payment_form or PaymentForm(), void_form=ConfirmForm()), status


@bp.route("/invoices/<int:invoice_id>")
@requires(MANAGE)
def invoice(invoice_id: int):
    return _invoice_page(invoice_id)


@bp.route("/invoices/<int:invoice_id>.pdf")
@requires(MANAGE)
def invoice_pdf(invoice_id: int):
    """The same PDF the partner downloads."""
    invoice, partner = _invoice_or_404(invoice_id)
    detail = billing_queries.invoice_detail(partner.id, invoice.id)
    parties = InvoiceParties(network_name=network_settings().network_name, partner_name=partner.name,
                             affiliate_id=partner.id, timezone=partner.timezone)
    return stream_download([render_invoice_pdf(detail, parties)], f"{invoice.number.lower()}.pdf", "pdf")


@bp.route("/invoices/<int:invoice_id>/payments", methods=["POST"])
@requires(MANAGE)
def record_invoice_payment(invoice_id: int):
    _invoice_or_404(invoice_id)
    form = PaymentForm()
    if not form.validate_on_submit():
        return _invoice_page(invoice_id, form, 400)
    try:
        record_payment(invoice_id, form.paid_on.data, cents(form.amount.data), form.method.data,
                       form.reference.data or "", current_user, ip=request.remote_addr)
    except BillingError as err:
        form.amount.errors = [str(err)]
        return _invoice_page(invoice_id, form, 400)
    flash("Payment recorded.")
    return redirect(url_for("staff.invoice", invoice_id=invoice_id))


@bp.route("/invoices/<int:invoice_id>/void", methods=["GET", "POST"])
@requires(MANAGE)
def void_invoice_page(invoice_id: int):
    invoice, partner = _invoice_or_404(invoice_id)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            void_invoice(invoice_id, current_user, ip=request.remote_addr)
        except BillingError as err:
            flash(str(err))
            return redirect(url_for("staff.invoice", invoice_id=invoice_id))
        flash(f"{invoice.number} is void; its conversions and adjustments go on the next run.")
        return redirect(url_for("staff.invoice", invoice_id=invoice_id))
    return render_template("staff/invoice_void.html", invoice=invoice, partner=partner, form=form)


@bp.route("/partners/<int:partner_id>/billing", methods=["GET", "POST"])
@requires(MANAGE)
def partner_billing(partner_id: int):
    partner = partner_queries.partner(partner_id)
    if partner is None:
        abort(404)
    own = partner.currency or "USD"
    form = AdjustmentForm(currency=own)  # the partner's own when a form leaves it out
    form.currency.choices = [own, *sorted(set(billing_queries.currencies_in_use()) - {own})]
    status = 200
    if form.validate_on_submit():
        try:
            add_adjustment(partner_id, form.kind.data, cents(form.amount.data), form.reason.data, current_user,
                           ip=request.remote_addr, currency=form.currency.data)
        except AdjustmentError as err:
            form.reason.errors = [str(err)]
            status = 400
        else:
            flash("Adjustment added; it goes on the partner's next invoice.")
            return redirect(url_for("staff.partner_billing", partner_id=partner_id))
    elif request.method == "POST":
        status = 400
    return render_template("staff/partner_billing.html", partner=partner, tab="billing", tabs=PARTNER_TABS,
                           form=form, adjustments=billing_queries.pending_adjustments(partner_id),
                           invoices=billing_queries.staff_invoices(None, partner_id, 0, PAGE_SIZE)[1],
                           balances=balances_by_currency(billing_queries.balances(partner_id),
                                                         partner.currency or "USD")), status
