"""Staff sign-in vouched for by the network's identity provider (the claims of a validated ID token)."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from portal.extensions import db
from portal.models import StaffUser
from portal.models.base import utcnow
from portal.services import audit
from portal.services.signin import user_by_email


def _verified(claim) -> bool:
    """email_verified must be true (some IdPs send the string "true"); a missing claim counts as
    verified only when the network says its IdP never sends it (OIDC_REQUIRE_VERIFIED_EMAIL off)."""
    if claim is None:
        return not current_app.config["OIDC_REQUIRE_VERIFIED_EMAIL"]
    if isinstance(claim, str):
        return claim.strip().lower() == "true"
    return claim is True


def staff_for_claims(claims: dict, ip: str | None = None) -> StaffUser | None:
    """The existing, active staff account these claims vouch for, bound to the IdP subject; else None.

    Nobody is created here: single sign-on only opens accounts that staff already made.
    """
    email = (claims.get("email") or "").strip()
    subject = claims.get("sub")
    if not email or not subject or not _verified(claims.get("email_verified")):
        return None
    user = user_by_email(StaffUser, email)
    if user is None or not user.may_sign_in:
        return None
    if user.oidc_subject != subject:
        if user.oidc_subject is not None:
            return None  # the email now belongs to another identity at the IdP
        if db.session.scalar(select(StaffUser.id).where(StaffUser.oidc_subject == subject)) is not None:
            return None  # this identity is already bound to another staff account
        user.oidc_subject = subject
    user.last_login_at = utcnow()
    audit.record("signin.sso", actor=user, ip=ip)
    db.session.commit()
    return user
