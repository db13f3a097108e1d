"""The staff console blueprint, guarded as a whole: staff session plus each view's declared permission."""

from flask import Blueprint

from portal.web.guards import guard_staff

bp = Blueprint("staff", __name__, url_prefix="/staff")
guard_staff(bp)
