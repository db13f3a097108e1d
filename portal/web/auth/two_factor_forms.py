"""Forms of two-factor sign-in: the code at sign-in, the setup's first code, new recovery codes, turning it off."""

from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.web.forms import PageForm

ENTER_CODE = "Enter the 6-digit code from your app, or a recovery code."
MAX_CODE = 64  # a recovery code with spaces to spare; anything longer is not a code


def code_text(form, field) -> None:
    """Digits, letters, spaces and hyphens only: anything else (NUL, other scripts, undecodable bytes) is no code."""
    if field.data and not all(c.isascii() and (c.isalnum() or c in " -") for c in field.data):
        raise ValidationError(ENTER_CODE)


def _code(label: str, required: bool = True) -> StringField:
    first = DataRequired(ENTER_CODE) if required else Optional()
    return StringField(label, validators=[first, Length(max=MAX_CODE, message=ENTER_CODE), code_text])


class SecondStepForm(PageForm):
    code = _code("Code")


class StartSetupForm(PageForm):
    """Empty: starting a setup is a POST with its CSRF token."""


class ConfirmSetupForm(PageForm):
    code = _code("Code from your app")


class RegenerateCodesForm(PageForm):
    code = _code("Code from your app")


class DisableForm(PageForm):
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    code = _code("Code from your app, or a recovery code")
