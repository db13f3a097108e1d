"""My Account → Security: the sign-in sessions and two-factor sign-in of the partner user."""

from __future__ import annotations

from flask import g

from portal.web.auth import sessions_page, two_factor_pages
from portal.web.partner.blueprint import bp

_PREFIX = "partner."
_LAYOUT = "partner/base.html"


def _security_page(status: int = 200, **context):
    page = sessions_page.show("partner/account_security.html", "partner.account_security_end_one",
                              "partner.account_security_end_others", g.scope.account().timezone,
                              **(context or two_factor_pages.card(_PREFIX)))
    return page, status


@bp.route("/account/security")
def account_security():
    return _security_page()


@bp.route("/account/security/sessions/<int:session_id>/end", methods=["POST"])
def account_security_end_one(session_id: int):
    return sessions_page.end_one(session_id, "partner.account_security")


@bp.route("/account/security/sessions/end-others", methods=["POST"])
def account_security_end_others():
    return sessions_page.end_others("partner.account_security")


@bp.route("/account/security/two-factor")
def two_factor_setup():
    return two_factor_pages.setup_page(_PREFIX, _LAYOUT)


@bp.route("/account/security/two-factor/start", methods=["POST"])
def two_factor_start():
    return two_factor_pages.start(_PREFIX)


@bp.route("/account/security/two-factor/confirm", methods=["POST"])
def two_factor_confirm():
    return two_factor_pages.confirm(_PREFIX, _LAYOUT)


@bp.route("/account/security/two-factor/recovery-codes", methods=["POST"])
def two_factor_regenerate():
    return two_factor_pages.regenerate(_PREFIX, _LAYOUT, _security_page)


@bp.route("/account/security/two-factor/disable", methods=["POST"])
def two_factor_disable():
    return two_factor_pages.disable(_PREFIX, _security_page)
