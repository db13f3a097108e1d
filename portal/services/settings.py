"""Changing the network's settings, audited in the same transaction."""

from __future__ import annotations

from portal.extensions import db
from portal.queries.settings import network_settings
from portal.services import audit

EDITABLE = ("network_name", "logo_url", "support_email", "timezone", "currency", "partner_postbacks_enabled",
            "network_api_offer_id", "staff_require_two_factor", "payment_terms_days", "minimum_payout_cents")

KEPT_WHEN_EMPTY = ("payment_terms_days", "minimum_payout_cents")  # a form that leaves them out keeps them

# Settings whose change weakens or strengthens sign-in for every staff member: the security permission's.
SECURITY_SETTINGS = {"staff_require_two_factor": "security:full_control"}


class SettingsRefused(PermissionError):
    """The actor may not change one of the settings; the message names it."""


def update_network_settings(values: dict, actor, ip: str | None = None) -> None:
    settings = network_settings()
    for name, permission in SECURITY_SETTINGS.items():
        if values[name] != getattr(settings, name) and not actor.can(permission):
            raise SettingsRefused("Only staff with the Security permission may change whether staff need "
                                  "two-factor sign-in.")
    changed = {}
    for name in EDITABLE:
        new = values[name]
        if name == "currency":
            new = new.upper()
        if name == "network_api_offer_id":
            new = new or None  # the form's 0 is "none"
        if new is None and name in KEPT_WHEN_EMPTY:
            continue
        if getattr(settings, name) != new:
            changed[name] = {"from": getattr(settings, name), "to": new}
            setattr(settings, name, new)
    if changed:
        audit.record("settings.changed", actor=actor, target=settings, detail=changed, ip=ip)
    db.session.commit()
