"""The dashboard, My Account (profile, security, API keys) and the pages still to come; the team is in team.py."""

from __future__ import annotations

from flask import g, render_template

from portal.web.auth import sessions_page
from portal.web.auth.password import password_change_page
from portal.web.partner.blueprint import bp
from portal.web.security import NO_STORE


@bp.route("/")
def dashboard():
    return render_template("partner/dashboard.html", summary=g.scope.dashboard(), account=g.scope.account())


def _not_built(title: str, what: str):
    return render_template("partner/not_built.html", title=title, what=what)


@bp.route("/offers")
def offers():
    return _not_built("Offers", "The offers you can run and their tracking links")


@bp.route("/billing")
def billing():
    return _not_built("Billing", "Invoices and payments")


@bp.route("/account", methods=["GET", "POST"])
def account_profile():
    return password_change_page("partner/account_profile.html", "partner.account_profile",
                                account=g.scope.account())


@bp.route("/account/api")
def account_api():
    if not g.scope.has_active_key():
        return render_template("partner/account_no_key.html", account=g.scope.account())
    page = render_template("partner/account_api.html", cards=g.scope.key_cards(), account=g.scope.account())
    return page, 200, NO_STORE


@bp.route("/account/security")
def account_security():
    return sessions_page.show("partner/account_security.html", "partner.account_security_end_one",
                                  "partner.account_security_end_others", g.scope.account().timezone)


@bp.route("/account/security/sessions/<int:session_id>/end", methods=["POST"])
def account_security_end_one(session_id: int):
    return sessions_page.end_one(session_id, "partner.account_security")


@bp.route("/account/security/sessions/end-others", methods=["POST"])
def account_security_end_others():
    return sessions_page.end_others("partner.account_security")
