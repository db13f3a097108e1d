"""My account → Security: the staff member's sign-in sessions and two-factor sign-in. The two-factor setup
pages stay open when the network requires two-factor and the staff member has not turned it on yet."""

from __future__ import annotations

from portal.queries.settings import network_settings
from portal.web.auth import sessions_page, two_factor_pages
from portal.web.guards import ANY_STAFF, open_before_two_factor, requires
from portal.web.staff.blueprint import bp

_PREFIX = "staff."
_LAYOUT = "staff/base.html"


def _security_page(status: int = 200, **context):
    page = sessions_page.show("staff/account_security.html", "staff.account_security_end_one",
                              "staff.account_security_end_others", network_settings().timezone,
                              **(context or two_factor_pages.card(_PREFIX)))
    return page, status


@bp.route("/account/security")
@requires(ANY_STAFF)
def account_security():
    return _security_page()


@bp.route("/account/security/sessions/<int:session_id>/end", methods=["POST"])
@requires(ANY_STAFF)
def account_security_end_one(session_id: int):
    return sessions_page.end_one(session_id, "staff.account_security")


@bp.route("/account/security/sessions/end-others", methods=["POST"])
@requires(ANY_STAFF)
def account_security_end_others():
    return sessions_page.end_others("staff.account_security")


@bp.route("/account/security/two-factor")
@requires(ANY_STAFF)
@open_before_two_factor
def two_factor_setup():
    return two_factor_pages.setup_page(_PREFIX, _LAYOUT)


@bp.route("/account/security/two-factor/start", methods=["POST"])
@requires(ANY_STAFF)
@open_before_two_factor
def two_factor_start():
    return two_factor_pages.start(_PREFIX)


@bp.route("/account/security/two-factor/confirm", methods=["POST"])
@requires(ANY_STAFF)
@open_before_two_factor
def two_factor_confirm():
    return two_factor_pages.confirm(_PREFIX, _LAYOUT)


@bp.route("/account/security/two-factor/recovery-codes", methods=["POST"])
@requires(ANY_STAFF)
def two_factor_regenerate():
    return two_factor_pages.regenerate(_PREFIX, _LAYOUT, _security_page)


@bp.route("/account/security/two-factor/disable", methods=["POST"])
@requires(ANY_STAFF)
def two_factor_disable():
    return two_factor_pages.disable(_PREFIX, _security_page)
