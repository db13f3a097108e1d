"""Forms of the staff offers console; every text field refuses NUL and lone surrogates, every amount is a
finite number in range (the services check the rules that need the database or the rest of the form)."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf.file import FileField
from wtforms import (BooleanField, DateField, DateTimeLocalField, DecimalField, IntegerField, SelectChoice, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from portal.models.offers import CREATIVE_TYPES, OFFER_VISIBILITY
from portal.services.offers import CAP_FIELDS, STAFF_STATUSES
from portal.web.forms import StorableTextForm

MAX_INT = 2**31 - 1
PAYOUT_CHOICES = [SelectChoice("flat", "Flat CPA (per conversion)"), SelectChoice("percent", "Percent of sale"),
                  SelectChoice("cpc", "CPC (per click)")]
ON_OFF = [SelectChoice("active", "Active"), SelectChoice("paused", "Paused")]
GRANT_OR_BLOCK = [SelectChoice("approved", "Grant"), SelectChoice("blocked", "Block")]


CENT = Decimal("0.01")


def amount(max_value: int):
    """A finite, non-negative number up to max_value, to the cent (DecimalField lets NaN and Infinity
    through, and keeps every decimal it is given: 1.005 would otherwise be rounded without a word)."""

    def check(form, field) -> None:
        value = field.data
        if value is None:
            return
        if not isinstance(value, Decimal) or not value.is_finite() or not 0 <= value <= max_value:
            raise ValidationError(f"A number from 0 to {max_value:,}.")
        if value != value.quantize(CENT):  # in range, so the quantized value always fits the context
            raise ValidationError("At most two decimal places (cents), such as 12.50.")

    return check


StaffForm = StorableTextForm  # the console's forms: text must be storable


class OfferForm(StaffForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    status = SelectField("Status", choices=[SelectChoice(s, s.capitalize()) for s in STAFF_STATUSES])
    visibility = SelectField("Visibility", choices=[SelectChoice(v, v.replace("_", " ").capitalize())
                                                    for v in OFFER_VISIBILITY])
    category = StringField("Category", validators=[Length(max=100)])
    description = TextAreaField("Description (HTML: formatting and links; scripts and styles are removed)",
                                validators=[Length(max=100_000)])
    preview_url = StringField("Preview URL", validators=[Length(max=2000)])
    destination_url = StringField("Default landing page URL (url_id 0; macros such as {transaction_id})",
                                  validators=[DataRequired(), Length(max=2000)])
    payout_type = SelectField("Payout", choices=PAYOUT_CHOICES)
    payout = DecimalField("Payout amount (money, or % of sale)", places=2,
                          validators=[InputRequired(), amount(10**10)])
    network_revenue = DecimalField("Network revenue (same units; never shown to partners)", places=2, default=0,
                                   validators=[Optional(), amount(10**10)])
    currency = StringField("Currency (ISO 4217)", default="USD", validators=[DataRequired(), Length(min=3, max=3)])
    allowed_countries = StringField("Allowed countries (ISO codes, e.g. US, CA; empty: all)",
                                    validators=[Length(max=1000)])
    restrictions = TextAreaField("Restrictions (plain text)", validators=[Length(max=10_000)])
    deep_links_allowed = BooleanField("Partners may deep link (url= on the tracking link)")
    fallback_url = StringField("Fallback URL (empty: the network's)", validators=[Length(max=2000)])
    live_until = DateTimeLocalField("Live until (UTC; empty: no end)", format="%Y-%m-%dT%H:%M",
                                    validators=[Optional()])
    thumbnail = FileField("Thumbnail image (PNG, JPEG, GIF or WebP)")


for _cap in CAP_FIELDS:  # eight caps, one field each: 0 is no cap
    setattr(OfferForm, _cap, IntegerField(_cap.replace("_", " ").capitalize(), default=0,
                                          validators=[Optional(), NumberRange(0, MAX_INT)]))


class LandingPageForm(StaffForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    destination_url = StringField("Landing page URL", validators=[DataRequired(), Length(max=2000)])
    preview_url = StringField("Preview URL", validators=[Length(max=2000)])
    status = SelectField("Status", choices=ON_OFF)


class CreativeForm(StaffForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    creative_type = SelectField("Type", choices=[SelectChoice(t, t.capitalize()) for t in CREATIVE_TYPES])
    file = FileField("Banner image (image creatives)")
    html_code = TextAreaField("HTML (html and email creatives; {tracking_link} is the partner's link)",
                              validators=[Length(max=100_000)])
    text = StringField("Link text (text creatives)", validators=[Length(max=1000)])
    email_subject = StringField("Email subject", validators=[Length(max=300)])
    email_from = StringField("Email from line", validators=[Length(max=300)])


class CouponForm(StaffForm):
    code = StringField("Code", validators=[DataRequired(), Length(max=100)])
    partner_id = IntegerField("Partner ID", validators=[InputRequired(), NumberRange(1, MAX_INT)])
    status = SelectField("Status", choices=ON_OFF)
    start_date = DateField("Start date", validators=[Optional()])
    end_date = DateField("End date", validators=[Optional()])
    description = TextAreaField("Description", validators=[Length(max=2000)])


class FeedForm(StaffForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    file = FileField("Feed file (.csv, .tsv, .xml, .json or .gz)")
    status = SelectField("Status", choices=ON_OFF)
    valid_from = DateField("Valid from (UTC)", validators=[Optional()])
    valid_to = DateField("Valid to (UTC)", validators=[Optional()])


class StatusForm(StaffForm):
    status = SelectField("Status", choices=ON_OFF)


class DecisionForm(StaffForm):
    decision = SelectField("Decision", choices=[SelectChoice("approve", "Approve"), SelectChoice("reject", "Reject")])
    reason = TextAreaField("Reason (shown to the partner)", validators=[Length(max=2000)])


class OfferAccessForm(StaffForm):
    """On an offer's page: grant or block one partner."""

    partner_id = IntegerField("Partner ID", validators=[InputRequired(), NumberRange(1, MAX_INT)])
    status = SelectField("Access", choices=GRANT_OR_BLOCK)
    reason = TextAreaField("Reason (shown to the partner)", validators=[Length(max=2000)])


class PartnerAccessForm(StaffForm):
    """On a partner's page: grant or block one offer (choices: the offers, filled in by the view)."""

    offer_id = SelectField("Offer", coerce=int, choices=[])
    status = SelectField("Access", choices=GRANT_OR_BLOCK)
    reason = TextAreaField("Reason (shown to the partner)", validators=[Length(max=2000)])


class PayoutOverrideForm(StaffForm):
    """A partner's payout on an offer; payout type "" clears the override."""

    partner_id = IntegerField("Partner ID", validators=[Optional(), NumberRange(1, MAX_INT)])
    offer_id = IntegerField("Offer ID", validators=[Optional(), NumberRange(1, MAX_INT)])
    payout_type = SelectField("Payout override", choices=[SelectChoice("", "None (the offer's payout)"),
                                                                  *PAYOUT_CHOICES])
    payout = DecimalField("Amount (money, or % of sale)", places=2, validators=[Optional(), amount(10**10)])
