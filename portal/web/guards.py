"""Blueprint-wide guards: every partner and staff view is protected by default."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_login import current_user

from portal.models import PartnerUser, StaffUser
from portal.extensions import login_manager
from portal.services.two_factor import staff_must_enrol
from portal.web.sessions import current_method

# Marker for staff views every signed-in staff member may open (their own password, the home page).
ANY_STAFF = "any-staff"


def requires(*permissions: str) -> Callable:
    """Mark a staff view as needing any one of the given permissions (the blueprint guard enforces it)."""

    def mark(view: Callable) -> Callable:
        view.required_permissions = permissions
        return view

    return mark


def open_before_two_factor(view: Callable) -> Callable:
    """Mark a staff view as reachable by a staff member who must still turn on two-factor (its setup pages)."""
    view.open_before_two_factor = True
    return view


def guard_partner(bp: Blueprint) -> None:
    @bp.before_request
    def require_partner_user():
        if not isinstance(current_user._get_current_object(), PartnerUser):
            return login_manager.unauthorized()
        return None


def guard_staff(bp: Blueprint) -> None:
    @bp.before_request
    def require_staff_permission():
        user = current_user._get_current_object()
        if not isinstance(user, StaffUser):
            return login_manager.unauthorized()
        view = current_app.view_functions.get(request.endpoint)
        if not getattr(view, "open_before_two_factor", False) and staff_must_enrol(user, current_method()):
            return redirect(url_for("staff.two_factor_setup"))  # the network requires it; nothing else opens
        needed = getattr(view, "required_permissions", None)
        if needed is None:
            abort(403)  # fail closed: a staff view that declares nothing is open to no one
        if needed == (ANY_STAFF,) or user.can_any(*needed):
            return None
        abort(403)
