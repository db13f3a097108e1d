"""Sign-in and password forms (Flask-WTF, so every one carries a CSRF token)."""

from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Length

from portal.web.forms import PageForm


class SignInForm(PageForm):
    # No syntax check here: sign-in only looks the address up, and must answer the same for any unknown one.
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    next = HiddenField()


class PasswordChangeForm(PageForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=1024)])
    confirm_password = PasswordField("Repeat the new password", validators=[DataRequired(), Length(max=1024)])


class SignOutForm(PageForm):
    """Empty: sign-out is a POST so that another site cannot sign a user out."""
