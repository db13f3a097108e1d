"""The password-change page both kinds of user share."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.services.signin import PasswordChangeError, change_password
from portal.web.auth.forms import PasswordChangeForm
from portal.web.sessions import current_token


def password_change_page(template: str, done_endpoint: str, **context):
    """Render the form; on success this session stays while the user's others end."""
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current_password.data, form.new_password.data,
                            form.confirm_password.data, ip=request.remote_addr, keep_session=current_token())
        except PasswordChangeError as err:
            form.new_password.errors = [str(err)]
            status = 400
        else:
            flash("Your password is changed. Other sessions are signed out.")
            return redirect(url_for(done_endpoint))
    elif request.method == "POST":
        status = 400
    return render_template(template, form=form, **context), status
