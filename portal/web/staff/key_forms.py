"""Forms of the staff API tab."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class IssueKeyForm(FlaskForm):
    label = StringField("Label (the integration this key is for)",
                        validators=[DataRequired(message="Give the key a label naming the integration."), Length(max=100)])
    acknowledge_risk = BooleanField("I understand, issue a key anyway")


class AllowlistForm(FlaskForm):
    allowlist = TextAreaField("Allowed addresses and ranges", validators=[Length(max=10_000)])


class ConfirmForm(FlaskForm):
    """A bare POST with a CSRF token: revoke, reveal."""
