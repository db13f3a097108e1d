"""Creating staff accounts (account managers and admins)."""

from __future__ import annotations

from portal.extensions import db
from portal.models import PERMISSIONS, StaffUser
from portal.services import audit
from portal.services.passwords import MIN_PASSWORD_LENGTH, hash_password
from portal.services.signin import user_by_email


class StaffAccountError(ValueError):
    """The account cannot be created; the message says why."""


def create_staff_user(email: str, name: str, permissions: list[str], password: str, actor=None) -> StaffUser:
    email = email.strip().lower()
    if "@" not in email:
        raise StaffAccountError(f"{email!r} is not an email address")
    if user_by_email(StaffUser, email) is not None:
        raise StaffAccountError(f"A staff user with email {email} already exists")
    unknown = sorted(set(permissions) - set(PERMISSIONS))
    if unknown:
        raise StaffAccountError(f"Unknown permissions: {', '.join(unknown)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffAccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long")
    user = StaffUser(email=email, name=name, password_hash=hash_password(password), permissions=list(permissions))
    db.session.add(user)
    db.session.flush()
    audit.record("staff_user.created", actor=actor, target=user, detail={"permissions": list(permissions)})
    db.session.commit()
    return user
