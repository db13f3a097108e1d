"""Traffic rules: the network's traffic controls that apply to the partner's clicks, read-only."""

from __future__ import annotations

from flask import g, render_template

from portal.domain.traffic import COMPARISON_LABELS, CONTROL_TYPE_LABELS, VARIABLE_LABELS
from portal.web.partner.blueprint import bp


@bp.route("/traffic-rules")
def traffic_rules():
    return render_template("partner/traffic_rules.html", controls=g.scope.traffic_controls(),
                           variables=VARIABLE_LABELS, comparisons=COMPARISON_LABELS, types=CONTROL_TYPE_LABELS)
