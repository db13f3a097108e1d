"""The staff form of a traffic control: lists of ids and values as text, parsed here; the service checks them."""

from __future__ import annotations

from wtforms import DateTimeLocalField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.domain.traffic import (COMPARISON_LABELS, COMPARISONS, CONTROL_TYPE_LABELS, CONTROL_TYPES, VARIABLE_LABELS,
                                   VARIABLES)
from portal.web.staff.offer_forms import StaffForm

MAX_ID_DIGITS = 10
LIST_MEANINGS = {"blacklist": "block matching clicks", "whitelist": "allow only matching clicks"}


def parse_ids(text: str | None) -> list[int]:
    """"12, 15 17" → [12, 15, 17]; ValueError on anything that is not a plain number."""
    parts = (text or "").replace(",", " ").split()
    if any(not (p.isascii() and p.isdigit()) or len(p) > MAX_ID_DIGITS for p in parts):
        raise ValueError("Ids are whole numbers separated by commas or spaces.")
    return [int(p) for p in parts]


def _ids(form, field) -> None:
    try:
        parse_ids(field.data)
    except ValueError as err:
        raise ValidationError(str(err)) from None


class TrafficControlForm(StaffForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    status = SelectField("Status", choices=[SelectChoice("active", "Active"), SelectChoice("inactive", "Inactive")])
    control_type = SelectField("List", choices=[SelectChoice(t, f"{CONTROL_TYPE_LABELS[t]} ({LIST_MEANINGS[t]})")
                                                for t in CONTROL_TYPES])
    variable = SelectField("Variable", choices=[SelectChoice(v, VARIABLE_LABELS[v]) for v in VARIABLES])
    comparison_method = SelectField("Comparison", choices=[SelectChoice(c, COMPARISON_LABELS[c]) for c in COMPARISONS])
    values = TextAreaField("Values (one a line; case does not matter; IP: an address or a CIDR range such as "
                           "10.0.0.0/8)", validators=[DataRequired(), Length(max=200_000)])
    offer_ids = StringField("Offers (ids, separated by commas; empty: all offers)",
                            validators=[Length(max=20_000), _ids])
    partner_ids = StringField("Partners (affiliate ids, separated by commas; empty: all partners)",
                              validators=[Length(max=20_000), _ids])
    date_valid_from = DateTimeLocalField("Starts (UTC; empty: now)", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    date_valid_to = DateTimeLocalField("Ends (UTC; empty: no end)", format="%Y-%m-%dT%H:%M", validators=[Optional()])


class ControlStatusForm(StaffForm):
    status = SelectField(choices=[SelectChoice("active", "Active"), SelectChoice("inactive", "Inactive")])
