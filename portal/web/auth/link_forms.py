"""Forms behind the links sent by mail (forgot password, set a new one, accept an invitation), and the
invitation forms of partner admins and staff. Every text field refuses NUL and lone surrogates."""

from __future__ import annotations

from wtforms import EmailField, PasswordField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Length, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from portal.domain.roles import ROLE_LABELS
from portal.domain.text import text_fault
from portal.models import PERMISSIONS
from portal.web.forms import PageForm


def storable(form, field) -> None:
    values = field.data if isinstance(field.data, list) else [field.data]
    for value in values:
        if isinstance(value, str) and text_fault(value):
            raise StopValidation(f"This field {text_fault(value)}.")


ROLE_CHOICES = [SelectChoice(value, label) for value, label in ROLE_LABELS.items()]


class ForgotPasswordForm(PageForm):
    # No syntax check: the answer must be the same for any address, well-formed or not.
    email = EmailField("Email", validators=[storable, DataRequired(), Length(max=254)])


class NewPasswordForm(PageForm):
    new_password = PasswordField("New password", validators=[storable, DataRequired(), Length(max=1024)])
    confirm_password = PasswordField("Repeat the new password",
                                     validators=[storable, DataRequired(), Length(max=1024)])


class AcceptInvitationForm(PageForm):
    name = StringField("Your name", validators=[storable, DataRequired(), Length(max=200)])
    new_password = PasswordField("Choose a password", validators=[storable, DataRequired(), Length(max=1024)])
    confirm_password = PasswordField("Repeat the password", validators=[storable, DataRequired(), Length(max=1024)])


class InviteForm(PageForm):
    """A partner user: email and role."""

    email = EmailField("Email", validators=[storable, DataRequired(), Length(max=254),
                                            Email(message="Enter a valid email address.")])
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[storable])


class RoleForm(PageForm):
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[storable])


class ButtonForm(PageForm):
    """A button and its CSRF token (deactivate, reactivate, resend, revoke)."""


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class StaffInviteForm(PageForm):
    email = EmailField("Email", validators=[storable, DataRequired(), Length(max=254),
                                            Email(message="Enter a valid email address.")])
    permissions = MultiCheckboxField("Permissions", choices=[SelectChoice(p, p) for p in PERMISSIONS], validators=[storable])
