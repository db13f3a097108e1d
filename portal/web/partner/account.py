"""My Account (profile, API keys); see dashboard.py, security.py, team.py and billing.py."""

from __future__ import annotations

from flask import g, render_template

from portal.web.auth.password import password_change_page
from portal.web.partner.blueprint import bp
from portal.web.security import NO_STORE


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
