"""Partner user roles and what each one may do in the portal (the capabilities the pages ask for)."""

from __future__ import annotations

# What a page or action needs; the partner blueprint maps each of its endpoints to one of these.
ACCOUNT = "account"  # the user's own profile, password and sessions: every role
REPORTS = "reports"  # dashboard, reports, conversions, click lookup and their exports
POSTBACKS = "postbacks"
API_KEYS = "api_keys"  # the company's API keys, shown in full
TEAM = "team"  # the company's users and invitations
OFFERS = "offers"
BILLING = "billing"

ADMIN = "admin"
ROLE_LABELS: dict[str, str] = {
    ADMIN: "Admin",
    "reports": "Reports only",
    "postbacks_reports": "Postbacks and reports",
}
ROLES = tuple(ROLE_LABELS)

CAPABILITIES: dict[str, frozenset[str]] = {
    ADMIN: frozenset({ACCOUNT, REPORTS, POSTBACKS, API_KEYS, TEAM, OFFERS, BILLING}),
    "reports": frozenset({ACCOUNT, REPORTS}),
    "postbacks_reports": frozenset({ACCOUNT, REPORTS, POSTBACKS}),
}


def role_can(role: str | None, capability: str) -> bool:
    """An unknown role may do nothing (fail closed)."""
    return capability in CAPABILITIES.get(role or "", frozenset())
