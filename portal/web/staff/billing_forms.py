"""Staff billing forms: an invoice run, a payment, an adjustment, a void."""

from __future__ import annotations

from decimal import Decimal

from wtforms import (DateField, DecimalField, HiddenField, IntegerField, RadioField, SelectChoice, SelectField,
                     StringField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from portal.models import PAYMENT_METHODS
from portal.services.billing_adjustments import MAX_REASON, STAFF_KINDS
from portal.web.staff.offer_forms import StaffForm, amount

MAX_AMOUNT = 10_000_000_000  # in major units, as the adjustment service takes at most
MAX_PARTNER_ID = 2**31 - 1


def cents(value: Decimal) -> int:
    """A form amount (major units, two places) to minor units, exactly."""
    return int((value * 100).to_integral_value())


def more_than_zero(form, field) -> None:
    if field.data is not None and field.data.is_finite() and cents(field.data) <= 0:
        raise ValidationError("More than zero.")


class RunForm(StaffForm):
    """Monthly for every partner, or a custom range (for one partner or all); confirmed on a second page."""

    scope = RadioField("Run", choices=[SelectChoice("month", "A month, every partner"),
                                       SelectChoice("range", "A custom range")], default="month")
    month = StringField("Month (YYYY-MM)", validators=[Optional(), Regexp(r"^\d{4}-\d{2}$", message="YYYY-MM")])
    start = DateField("From (partner's day)", validators=[Optional()])
    end = DateField("To (inclusive)", validators=[Optional()])
    partner_id = IntegerField("Partner id (empty: every partner)",
                              validators=[Optional(), NumberRange(min=1, max=MAX_PARTNER_ID)])
    confirmed = HiddenField()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.scope.data == "month" and not self.month.data:
            self.month.errors = [*self.month.errors, "Choose the month."]
            valid = False
        if self.scope.data == "range" and not (self.start.data and self.end.data):
            self.end.errors = [*self.end.errors, "Choose both days of the range."]
            valid = False
        return valid


class PaymentForm(StaffForm):
    paid_on = DateField("Paid on", validators=[DataRequired()])
    amount = DecimalField("Amount", places=2, validators=[InputRequired(), amount(MAX_AMOUNT), more_than_zero])
    method = SelectField("Method", choices=[SelectChoice(m, m.replace("_", " ").capitalize()) for m in PAYMENT_METHODS])
    reference = StringField("Reference", validators=[Optional(), Length(max=200)])


class AdjustmentForm(StaffForm):
    kind = SelectField("Kind", choices=[SelectChoice(k, k.capitalize()) for k in STAFF_KINDS])
    amount = DecimalField("Amount", places=2, validators=[InputRequired(), amount(MAX_AMOUNT), more_than_zero])
    reason = StringField("Reason", validators=[DataRequired(), Length(max=MAX_REASON)])
    # The partner's currency first, then the others the network pays in (set by the view): a typo cannot
    # open an invoice in a currency nobody uses.
    currency = SelectField("Currency (goes on the partner's next invoice in it)", choices=[])


class ConfirmForm(StaffForm):
    """A button with a CSRF token (void)."""
