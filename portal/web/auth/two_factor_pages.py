"""My Account → Security → Two-factor sign-in, for both kinds of user: set up with a QR code and a first
code, recovery codes shown once (and as a download), new codes, turning it off."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from urllib.parse import quote

import segno
from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from portal.services import two_factor
from portal.web.auth.two_factor_forms import ConfirmSetupForm, DisableForm, RegenerateCodesForm, StartSetupForm
from portal.web.security import NO_STORE
from portal.web.sessions import current_token

CODES_FILE = "recovery-codes.txt"

_SETUP_SLOT = "two_factor_setup_for"  # the session token that started the setup in this browser


def card(prefix: str, regenerate: RegenerateCodesForm | None = None, disable: DisableForm | None = None) -> dict:
    """What the Security page shows about two-factor (its forms may carry the errors of a refused change)."""
    enabled = two_factor.enabled_for(current_user)
    return {"two_factor": {
        "enabled": enabled, "prefix": prefix, "start": StartSetupForm(),
        "codes_left": two_factor.recovery_codes_left(current_user) if enabled else 0,
        "regenerate": regenerate or RegenerateCodesForm(formdata=None),
        "disable": disable or DisableForm(formdata=None),
    }}


def setup_page(prefix: str, layout: str, form: ConfirmSetupForm | None = None, status: int = 200):
    """The QR code and the secret as text, with the form for the first code; or the button that starts it."""
    if two_factor.enabled_for(current_user):
        return redirect(url_for(prefix + "account_security"))
    # The secret is shown only in the browser that started the setup: another session of the same user
    # (signed in later with the password) sees the start button, and starting again replaces the secret.
    token, started_by = current_token(), session.get(_SETUP_SLOT)
    started_here = isinstance(token, str) and isinstance(started_by, str) and hmac.compare_digest(started_by, token)
    setup = two_factor.setup_in_progress(current_user) if started_here else None
    qr = segno.make(setup.uri, error="m").svg_data_uri(scale=5, border=2) if setup else None
    page = render_template("two_factor/setup.html", layout=layout, prefix=prefix, setup=setup, qr=qr,
                           form=form or ConfirmSetupForm(formdata=None), start=StartSetupForm())
    return page, status, NO_STORE


def start(prefix: str):
    if not StartSetupForm().validate_on_submit():
        abort(400)
    try:
        two_factor.start_setup(current_user, keep_session=current_token())
        session[_SETUP_SLOT] = current_token()
    except two_factor.TwoFactorError as err:
        flash(str(err))
        return redirect(url_for(prefix + "account_security"))
    return redirect(url_for(prefix + "two_factor_setup"))


def confirm(prefix: str, layout: str):
    form = ConfirmSetupForm()
    if not form.validate_on_submit():
        return setup_page(prefix, layout, form, 400)
    try:
        codes = two_factor.confirm_setup(current_user, form.code.data, ip=request.remote_addr,
                                         keep_session=current_token())
    except two_factor.TwoFactorError as err:
        form.code.errors = [str(err)]
        return setup_page(prefix, layout, form, 400)
    return codes_page(prefix, layout, codes, "Two-factor sign-in is on.")


def regenerate(prefix: str, layout: str, security_page: Callable):
    form = RegenerateCodesForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.regenerate_recovery_codes(current_user, form.code.data, ip=request.remote_addr)
        except two_factor.TwoFactorError as err:
            form.code.errors = [str(err)]
        else:
            return codes_page(prefix, layout, codes, "New recovery codes are made; the old ones no longer work.")
    return security_page(400, **card(prefix, regenerate=form))


def disable(prefix: str, security_page: Callable):
    form = DisableForm()
    if form.validate_on_submit():
        try:
            two_factor.disable(current_user, form.password.data, form.code.data, ip=request.remote_addr)
        except two_factor.TwoFactorError as err:
            form.code.errors = [str(err)]
        else:
            flash("Two-factor sign-in is off.")
            return redirect(url_for(prefix + "account_security"))
    return security_page(400, **card(prefix, disable=form))


def codes_page(prefix: str, layout: str, codes: list[str], headline: str):
    """The recovery codes, this once: the page is not stored, and only the codes' hashes are kept."""
    text = "Recovery codes for " + current_user.email + "\nEach works once, in place of a code from your app.\n\n"
    text += "\n".join(codes) + "\n"
    download = "data:text/plain;charset=utf-8," + quote(text)
    page = render_template("two_factor/recovery_codes.html", layout=layout, prefix=prefix, codes=codes,
                           headline=headline, download=download, filename=CODES_FILE)
    return page, 200, NO_STORE
