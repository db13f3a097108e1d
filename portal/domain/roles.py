"""Partner user roles and what each one may do in the portal (the capabilities the pages ask for)."""

from __future__ import annotations

# What a page or action needs; the partner blueprint maps each of its endpoints to one of these.
ACCOUNT = "account"  # the user's own profile, password and sessions: every role
REPORTS = "reports"  # dashboard, reports, conversions, click lookup and their exports
POSTBACKS = "postbacks"
API_KEYS = "api_keys"  # the company's API keys, shown in full
TEAM = "team"  # the company's users and invitations
OFFERS = "offers"  # the offers, their tracking links, creatives and coupon codes, notices: every role
OFFER_APPLY = "offer_apply"  # applying to an offer commits the company to its terms: the admin's
BILLING = "billing"

ADMIN = "admin"
ROLE_LABELS: dict[str, str] = {
    ADMIN: "Admin",
    "reports": "Reports only",
    "postbacks_reports": "Postbacks and reports",
}
ROLES = tuple(ROLE_LABELS)

CAPABILITIES: dict[str, frozenset[str]] = {
    ADMIN: frozenset({ACCOUNT, REPORTS, POSTBACKS, API_KEYS, TEAM, OFFERS, OFFER_APPLY, BILLING}),
    # Whoever sends traffic needs the links, so every role sees the offers.
    "reports": frozenset({ACCOUNT, REPORTS, OFFERS}),
    "postbacks_reports": frozenset({ACCOUNT, REPORTS, POSTBACKS, OFFERS}),
}


def role_can(role: str | None, capability: str) -> bool:
    """An unknown role may do nothing (fail closed)."""
    return capability in CAPABILITIES.get(role or "", frozenset())
