"""API activity: recent key usage across the network, and alerts on unusual use to acknowledge."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.models import KEY_PERMISSIONS
from portal.models.base import utcnow
from portal.queries import api_activity
from portal.services.key_alerts import acknowledge_alert
from portal.web.guards import requires
from portal.web.staff.blueprint import bp
from portal.web.staff.key_forms import ConfirmForm

PERIODS = {"24h": timedelta(hours=24), "7d": timedelta(days=7)}
ALERT_TITLES = {
    "rate_limited": "First rate-limit hit",
    "off_hours": "Used outside its usual hours",
    "new_endpoint": "First call to an endpoint",
}


@bp.route("/api-activity")
@requires("partners:view")
def api_activity_page():
    period = request.args.get("period", "24h")
    if period not in PERIODS:
        period = "24h"
    return render_template(
        "staff/api_activity.html", period=period, periods=PERIODS, titles=ALERT_TITLES,
        usage=api_activity.recent_usage(utcnow() - PERIODS[period]), alerts=api_activity.open_alerts(),
        can_acknowledge=current_user.can_any(*KEY_PERMISSIONS), form=ConfirmForm(),
    )


@bp.route("/api-activity/alerts/<int:alert_id>/acknowledge", methods=["POST"])
@requires(*KEY_PERMISSIONS)
def acknowledge_key_alert(alert_id: int):
    alert = api_activity.alert(alert_id)
    if alert is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    acknowledge_alert(alert, current_user, ip=request.remote_addr)
    flash("Alert acknowledged.")
    return redirect(url_for("staff.api_activity_page"))
