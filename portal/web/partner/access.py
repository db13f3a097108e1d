"""What each role may open: one table from every partner endpoint to the capability it needs, enforced for
the whole blueprint before any view runs. An endpoint missing from the table is open to no one (fail
closed), and tests/web/partner/test_roles.py walks the URL map so that a new page cannot be forgotten."""

from __future__ import annotations

from flask import Blueprint, abort, request
from flask_login import current_user

from portal.domain.roles import ACCOUNT, API_KEYS, BILLING, OFFER_APPLY, OFFERS, POSTBACKS, REPORTS, TEAM, role_can

ENDPOINT_CAPABILITIES: dict[str, str] = {
    # Reports: every role.
    "partner.dashboard": REPORTS,
    "partner.reports": REPORTS,
    "partner.reports_export": REPORTS,
    "partner.conversions": REPORTS,
    "partner.on_hold": REPORTS,
    "partner.conversions_export": REPORTS,
    "partner.on_hold_export": REPORTS,
    "partner.conversion_detail": REPORTS,
    "partner.click_lookup": REPORTS,
    # Postbacks.
    "partner.postbacks": POSTBACKS,
    "partner.postback_new": POSTBACKS,
    "partner.postback_edit": POSTBACKS,
    "partner.postback_delete": POSTBACKS,
    "partner.postback_log": POSTBACKS,
    "partner.postback_test": POSTBACKS,
    "partner.postback_retry": POSTBACKS,
    "partner.postback_preview": POSTBACKS,
    # Offers, their links, creatives and coupon codes, and the notices about them: every role, since whoever
    # sends traffic needs the links. Applying commits the company to an offer's terms: the admin's.
    "partner.offers": OFFERS,
    "partner.offer_detail": OFFERS,
    "partner.offer_link": OFFERS,
    "partner.creative_file": OFFERS,
    "partner.offer_thumbnail": OFFERS,
    "partner.product_feed_file": OFFERS,
    "partner.coupon_codes": OFFERS,
    "partner.notice_read": OFFERS,
    "partner.notices_read": OFFERS,
    "partner.offer_apply": OFFER_APPLY,
    # The network's traffic rules: whoever sends traffic needs to know what is blocked.
    "partner.traffic_rules": OFFERS,
    # The company: billing, API keys and the team are the admin's.
    "partner.billing": BILLING,
    "partner.invoice_detail": BILLING,
    "partner.invoice_csv": BILLING,
    "partner.invoice_pdf": BILLING,
    # Payout details: every user sees them masked; only the admin changes them (with the password).
    "partner.payout_details": ACCOUNT,
    "partner.payout_details_change": BILLING,
    "partner.account_api": API_KEYS,
    "partner.account_users": TEAM,
    "partner.team_invite": TEAM,
    "partner.team_role": TEAM,
    "partner.team_deactivate": TEAM,
    "partner.team_reactivate": TEAM,
    "partner.team_invitation_resend": TEAM,
    "partner.team_invitation_revoke": TEAM,
    # The user's own account: everyone.
    "partner.account_profile": ACCOUNT,
    "partner.account_security": ACCOUNT,
    "partner.account_security_end_one": ACCOUNT,
    "partner.account_security_end_others": ACCOUNT,
    "partner.two_factor_setup": ACCOUNT,
    "partner.two_factor_start": ACCOUNT,
    "partner.two_factor_confirm": ACCOUNT,
    "partner.two_factor_regenerate": ACCOUNT,
    "partner.two_factor_disable": ACCOUNT,
}


def can(capability: str) -> bool:
    """Whether the signed-in partner user's role allows it (for the menu)."""
    return role_can(getattr(current_user, "role", None), capability)


def allowed(endpoint: str | None) -> bool:
    needed = ENDPOINT_CAPABILITIES.get(endpoint or "")
    return needed is not None and can(needed)


def enforce_roles(bp: Blueprint) -> None:
    """Register after the sign-in guard: by then the user is a partner user."""

    @bp.before_request
    def require_role_capability():
        if request.endpoint is None:
            return None  # no such route: the 404 or 405 follows
        if not allowed(request.endpoint):
            abort(403)
        return None

    @bp.context_processor
    def role_facts():
        return {"can": can, "may_open": allowed}
