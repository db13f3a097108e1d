"""The dashboard: today's figures, the last 30 days' trend, the best offers and sub ids, and first steps."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from flask import g, render_template
from flask_login import current_user

from portal.domain.dashboard import RecentPerformance
from portal.domain.errors import NotServedUpstream
from portal.domain.roles import BILLING, role_can
from portal.web.partner.blueprint import bp
from portal.web.partner.chart import LineChart, compact_line_chart, line_chart
from portal.web.partner.report_table import WHOLE_KINDS, value_text

# The trend's metrics: (key, label, kind, how to read it from a day's totals).
TREND_METRICS = (("clicks", "Clicks", "count", lambda m: m.total_click),
                 ("conversions", "Conversions", "count", lambda m: m.cv),
                 ("earnings", "Earnings", "money", lambda m: m.revenue_cents))


@dataclass(frozen=True)
class TrendChart:
    key: str
    label: str
    total: str  # the metric over the whole window, as the page writes it
    chart: LineChart
    compact: LineChart  # the same, drawn for a phone


@bp.route("/")
def dashboard():
    account = g.scope.account()
    recent = g.scope.recent_performance()
    return render_template("partner/dashboard.html", summary=g.scope.dashboard(), account=account, recent=recent,
                           balances=_balances(),
                           trend=trend_charts(recent), steps=g.scope.getting_started(),
                           onboarding=account.status == "pending" or account.onboarding == "onboarding")


def trend_charts(recent: RecentPerformance) -> list[TrendChart]:
    """One server-drawn line chart per metric, a point a day (the page's script shows one at a time)."""
    charts = []
    for key, label, kind, read in TREND_METRICS:
        points = [(day.day.strftime("%b %d"), read(day.metrics)) for day in recent.days]
        text = partial(value_text, kind, currency=recent.currency)
        total = value_text(kind, sum(value for _, value in points), recent.currency)
        whole = kind in WHOLE_KINDS
        charts.append(TrendChart(key, label, total, line_chart(points, text, whole=whole),
                                 compact_line_chart(points, text, whole=whole)))
    return charts


def _balances():
    """The billing balances, for the users who may open Billing; None where the platform serves none."""
    if not role_can(current_user.role, BILLING):
        return None
    try:
        return g.scope.billing_balances()
    except NotServedUpstream:
        return None
