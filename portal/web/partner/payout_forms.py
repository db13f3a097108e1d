"""The payout details form: the method, every method's fields (the service keeps the chosen method's), the tax
form, and the confirmation (password, and a code when two-factor is on). Text must be storable."""

from __future__ import annotations

from wtforms import PasswordField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.domain.payouts import FIELD_LABELS, MAX_LENGTHS, METHOD_LABELS, TAX_FORMS, TAX_STATUSES
from portal.web.auth.two_factor_forms import MAX_CODE, code_text
from portal.web.forms import StorableTextForm

MAX_TEXT = 1000  # far past every field's own limit (the domain's); longer is no payout detail at all


def _text(name: str) -> StringField:
    kind = TextAreaField if name == "mailing_address" else StringField
    return kind(FIELD_LABELS[name], validators=[Length(max=max(MAX_TEXT, MAX_LENGTHS[name]))])


class PayoutDetailsForm(StorableTextForm):
    method = SelectField("Payment method", choices=[SelectChoice(k, v) for k, v in METHOD_LABELS.items()])
    paypal_email = _text("paypal_email")
    account_holder = _text("account_holder")
    iban = _text("iban")
    account_number = _text("account_number")
    bic = _text("bic")
    routing_number = _text("routing_number")
    bank_name = _text("bank_name")
    bank_country = _text("bank_country")
    payee_name = _text("payee_name")
    mailing_address = _text("mailing_address")
    tax_form = SelectField("Tax form", default="", choices=[SelectChoice("", "None yet"),
                                                *(SelectChoice(k, v) for k, v in TAX_FORMS.items())])
    tax_status = SelectField("Tax form status", choices=[SelectChoice("not_submitted", TAX_STATUSES["not_submitted"]),
                                                         SelectChoice("submitted", "Submitted to the network")])
    password = PasswordField("Your password", validators=[DataRequired("Enter your password to confirm."),
                                                          Length(max=1024)])
    code = StringField("Code from your app, or a recovery code (when two-factor sign-in is on)",
                       validators=[Length(max=MAX_CODE), code_text])

    def values(self) -> dict[str, str | None]:
        return {name: getattr(self, name).data for name in FIELD_LABELS}
