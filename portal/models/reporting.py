"""Hourly report totals per partner, offer and sub1, kept beside the raw clicks and conversions."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.base import BigId

# The totals a rollup row holds, in the order queries and the writers use them.
# clicks and unique_clicks are valid clicks only (Everflow's total_click and unique_click); clicks the
# tracker did not send on (error_code set) are invalid_clicks. earnings_cents includes CPC click earnings.
ROLLUP_METRICS = ("clicks", "unique_clicks", "conversions", "events", "earnings_cents",
                  "on_hold_conversions", "on_hold_earnings_cents", "impressions", "invalid_clicks",
                  "network_revenue_cents")


class ReportRollup(db.Model):
    """One UTC hour of one partner's traffic on one offer and sub1 value (test traffic kept apart).

    Written in the same transaction as the clicks and conversions it counts (portal.services.rollups),
    so a report by date, offer or sub1 reads thousands of these instead of millions of raw rows.
    Conversions and events count when approved or pending; on-hold ones are counted separately.
    Impressions are keyed like clicks (the impression's own sub1).
    """

    __tablename__ = "report_rollups"
    __table_args__ = (UniqueConstraint("partner_id", "hour", "offer_id", "sub1", "is_test"),
                      Index("ix_report_rollups_offer_hour", "offer_id", "hour"))  # offer caps (queries.offer_caps)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    hour: Mapped[int] = mapped_column(Integer)  # whole hours since 1970-01-01 00:00 UTC
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"))
    sub1: Mapped[str] = mapped_column(String(500), default="")  # "" when the click carried no sub1
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    unique_clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    conversions: Mapped[int] = mapped_column(BigInteger, default=0)
    events: Mapped[int] = mapped_column(BigInteger, default=0)
    earnings_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    on_hold_conversions: Mapped[int] = mapped_column(BigInteger, default=0)
    on_hold_earnings_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    impressions: Mapped[int] = mapped_column(BigInteger, default=0)
    invalid_clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    # What the network billed for the counted conversions and events (Conversion.network_revenue_cents);
    # the Network API's revenue, never shown to partners.
    network_revenue_cents: Mapped[int] = mapped_column(BigInteger, default=0)
