"""Postback delivery metrics: throughput, success rate, lag, backlog and postbacks turned off."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template

from portal.models.base import utcnow
from portal.queries import postback_metrics
from portal.web.guards import requires
from portal.web.staff.blueprint import bp

WINDOW = timedelta(hours=1)
TURNED_OFF_WINDOW = timedelta(days=7)


@bp.route("/postbacks/metrics")
@requires("partners:view")
def delivery_metrics():
    now = utcnow()
    throughput = postback_metrics.throughput(now, WINDOW)
    return render_template(
        "staff/delivery_metrics.html", now=now, throughput=throughput,
        per_minute=[m for m in reversed(throughput.per_minute) if m.attempts],
        lag=postback_metrics.delivery_lag(now, WINDOW), backlog=postback_metrics.backlog(now),
        turned_off=postback_metrics.turned_off(now, TURNED_OFF_WINDOW), turned_off_days=TURNED_OFF_WINDOW.days,
        window_minutes=int(WINDOW.total_seconds() // 60),
    )
