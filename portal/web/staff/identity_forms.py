"""The form of Confirm your identity: the password and/or a code, and the console page to go back to."""

from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import Length

from portal.web.auth.two_factor_forms import MAX_CODE, code_text
from portal.web.forms import StorableTextForm

MAX_NEXT = 2000  # a console path with its query; anything longer is not one of ours


class ConfirmIdentityForm(StorableTextForm):
    # Which fields are required depends on the account (a password, two-factor or both): the view checks.
    password = PasswordField("Your password", validators=[Length(max=1024)])
    code = StringField("Code from your app, or a recovery code", validators=[Length(max=MAX_CODE), code_text])
    next = HiddenField(validators=[Length(max=MAX_NEXT)])
