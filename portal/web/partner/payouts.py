"""Billing → Payout details: every user sees them masked; the company's admin changes them after confirming
with the password (and a two-factor code when it is on). What changed is said back; the account manager and
the company's users are told by the service."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_login import current_user

from portal.domain.payouts import (FIELD_LABELS, METHOD_LABELS, OPTIONAL, REQUIRED, TAX_FORMS, TAX_STATUSES,
                                   PayoutChange, PayoutChangeRefused, PayoutDetailsInvalid)
from portal.web.partner.blueprint import bp
from portal.web.partner.payout_forms import PayoutDetailsForm
from portal.web.security import NO_STORE

_NAMES = {"method": "payment method", "tax_form": "tax form", "tax_status": "tax form status"}


def _page(form: PayoutDetailsForm | None = None, status: int = 200):
    details = g.scope.payout_details()
    if form is None:
        form = PayoutDetailsForm(formdata=None, method=details.method or "paypal", tax_form=details.tax_form or "",
                                 tax_status="submitted" if details.tax_status == "approved" else details.tax_status)
    page = render_template("partner/payout_details.html", details=details, form=form, labels=FIELD_LABELS,
                           methods=METHOD_LABELS, tax_forms=TAX_FORMS, tax_statuses=TAX_STATUSES,
                           fields_of={m: REQUIRED[m] + OPTIONAL[m] for m in METHOD_LABELS},
                           two_factor_on=g.scope.two_factor_enabled(current_user._get_current_object()))
    return page, status, NO_STORE


@bp.route("/billing/payout-details")
def payout_details():
    return _page()


@bp.route("/billing/payout-details", methods=["POST"])
def payout_details_change():
    form = PayoutDetailsForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    change = PayoutChange(method=form.method.data, values=form.values(), tax_form=form.tax_form.data or None,
                          tax_status=form.tax_status.data, password=form.password.data, code=form.code.data)
    try:
        changed = g.scope.change_payout_details(current_user._get_current_object(), change)
    except PayoutDetailsInvalid as err:
        getattr(form, err.field, form.method).errors = [str(err)]
        return _page(form, 400)
    except PayoutChangeRefused as err:
        form.password.errors = [str(err)]
        return _page(form, 400)
    if not changed:
        flash("Nothing changed: the payout details are as they were.")
    else:
        names = [_NAMES.get(n, FIELD_LABELS.get(n, n)) for n in changed]
        told = ("Your company's users are told in the portal"
                + (", and your account manager by email." if g.scope.account().account_manager_email else "."))
        flash("Payout details saved. Changed: " + ", ".join(names) + ". " + told)
    return redirect(url_for("partner.payout_details"))
