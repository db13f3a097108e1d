"""Forms of the staff API tab."""

from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.web.forms import PageForm


class IssueKeyForm(PageForm):
    label = StringField("Label (the integration this key is for)",
                        validators=[DataRequired(message="Give the key a label naming the integration."), Length(max=100)])
    acknowledge_risk = BooleanField("I understand, issue a key anyway")


class AllowlistForm(PageForm):
    allowlist = TextAreaField("Allowed addresses and ranges", validators=[Length(max=10_000)])


class ConfirmForm(PageForm):
    """A bare POST with a CSRF token: revoke, reveal."""
