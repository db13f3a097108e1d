"""Forms behind the links sent by mail (forgot password, set a new one, accept an invitation), and the
invitation forms of partner admins and staff. Every text field refuses NUL and lone surrogates."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Length, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from portal.domain.roles import ROLE_LABELS
from portal.domain.text import text_fault
from portal.models import PERMISSIONS


def storable(form, field) -> None:
    values = field.data if isinstance(field.data, list) else [field.data]
    for value in values:
        if isinstance(value, str) and text_fault(value):
            raise StopValidation(f"This field {text_fault(value)}.")


ROLE_CHOICES = [SelectChoice(value, label) for value, label in ROLE_LABELS.items()]


class ForgotPasswordForm(FlaskForm):
    # No syntax check: the answer must be the same for any address, well-formed or not.
    email = EmailField("Email", validators=[storable, DataRequired(), Length(max=254)])


class NewPasswordForm(FlaskForm):
    new_password = PasswordField("New password", validators=[storable, DataRequired(), Length(max=1024)])
    confirm_password = PasswordField("Repeat the new password",
                                     validators=[storable, DataRequired(), Length(max=1024)])


class AcceptInvitationForm(FlaskForm):
    name = StringField("Your name", validators=[storable, DataRequired(), Length(max=200)])
    new_password = PasswordField("Choose a password", validators=[storable, DataRequired(), Length(max=1024)])
    confirm_password = PasswordField("Repeat the password", validators=[storable, DataRequired(), Length(max=1024)])


class InviteForm(FlaskForm):
    """A partner user: email and role."""

    email = EmailField("Email", validators=[storable, DataRequired(), Length(max=254),
                                            Email(message="Enter a valid email address.")])
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[storable])


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[storable])


class ButtonForm(FlaskForm):
    """A button and its CSRF token (deactivate, reactivate, resend, revoke)."""


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class StaffInviteForm(FlaskForm):
    email = EmailField("Email", validators=[storable, DataRequired(), Length(max=254),
                                            Email(message="Enter a valid email address.")])
    permissions = MultiCheckboxField("Permissions", choices=[SelectChoice(p, p) for p in PERMISSIONS], validators=[storable])
