"""Keeping report_rollups equal to the raw clicks, impressions and conversions they count.

Writers add their increments in the same transaction as the rows themselves (`RollupDelta` +
`apply`), as upserts that add, so concurrent writers never overwrite each other. `rebuild` recomputes
a partner's rollups from the raw tables in one statement (demo data, repairs: `flask reports rebuild`).

Clicks follow Everflow's metrics dictionary: `total_click` (our `clicks`) is valid clicks only, unique plus
duplicate; a click the tracker did not send on (`error_code` set) is an `invalid_click` and nothing else
(Everflow's `gross_click` is the sum of both). A valid unique click on an offer the partner is paid CPC on
earns that CPC (the partner's override winning, `models.offers.partner_payout`). The tracker stores that
amount on the click as it stands at click time (`click_payout_cents` → `Click.payout_cents`), and both the
increments and `rebuild` add up that column: a later change of the offer's or the partner's CPC never
rewrites what past clicks earned.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection, case, delete, func, insert, literal, select, text, union_all
from sqlalchemy.orm import Session

from portal.models import ROLLUP_METRICS, Click, Conversion, Impression, Offer, OfferAccess, ReportRollup
from portal.models.offers import partner_payout
from portal.queries import click_payouts
from portal.queries.buckets import hour_number, hour_number_sql

# Conversions and events count (and earn) while approved or pending; on-hold ones are counted apart.
COUNTED_STATUSES = ("approved", "pending")
RollupKey = tuple[int, int, int, str, bool]  # partner id, hour number, offer id, sub1 ("" for none), is_test
_KEY_COLUMNS = ("partner_id", "hour", "offer_id", "sub1", "is_test")


def conversion_totals(status: str, event_name: str | None, payout_cents: int,
                      network_revenue_cents: int = 0) -> tuple[int, ...]:
    """What one conversion or event adds to its rollup row, in ROLLUP_METRICS order (the network's revenue
    counts while the conversion does)."""
    counted = status in COUNTED_STATUSES
    on_hold = status == "on_hold"
    return (0, 0, int(counted and event_name is None), int(counted and event_name is not None),
            payout_cents if counted else 0, int(on_hold), payout_cents if on_hold else 0, 0, 0,
            network_revenue_cents if counted else 0)


def click_totals(is_unique: bool, error_code: int | None, payout_cents: int) -> tuple[int, ...]:
    """What one click adds to its rollup row, in ROLLUP_METRICS order: an invalid click counts only as
    invalid; every click adds what it earned (`Click.payout_cents`, 0 unless unique, valid and CPC)."""
    if error_code is not None:
        return (0, 0, 0, 0, payout_cents, 0, 0, 0, 1, 0)
    return (1, int(is_unique), 0, 0, payout_cents, 0, 0, 0, 0, 0)


def click_payout_cents(offer: Offer, access: OfferAccess | None) -> int:
    """What a unique valid click of this partner on this offer earns now: its CPC, or 0 when not paid per
    click (stored on the click as `payout_cents` when it is taken)."""
    payout_type, amount = partner_payout(offer, access)
    return amount if payout_type == "cpc" else 0


@dataclass
class RollupDelta:
    """Increments to apply to rollup rows (negative ones too, when a conversion changes status)."""

    rows: dict[RollupKey, list[int]] = field(default_factory=dict)

    def _add(self, key: RollupKey, amounts: Iterable[int], sign: int = 1) -> None:
        row = self.rows.setdefault(key, [0] * len(ROLLUP_METRICS))
        for i, amount in enumerate(amounts):
            row[i] += sign * amount

    def click(self, click: Click) -> None:
        """Count a click and what it earned (its `payout_cents`, set when it was taken)."""
        key = (click.partner_id, hour_number(click.created_at), click.offer_id, click.sub1 or "", bool(click.is_test))
        self._add(key, click_totals(bool(click.is_unique), click.error_code, click.payout_cents or 0))

    def impression(self, impression: Impression) -> None:
        key = (impression.partner_id, hour_number(impression.created_at), impression.offer_id,
               impression.sub1 or "", bool(impression.is_test))
        self._add(key, (0, 0, 0, 0, 0, 0, 0, 1, 0, 0))

    def conversion(self, conversion: Conversion, status: str | None = None, sign: int = 1) -> None:
        """Count a conversion (sign -1 uncounts it; `status` overrides its current one, for status changes)."""
        key = (conversion.partner_id, hour_number(conversion.created_at), conversion.offer_id,
               conversion.sub1 or "", bool(conversion.is_test))
        self._add(key, conversion_totals(status or conversion.status, conversion.event_name,
                                         conversion.payout_cents or 0, conversion.network_revenue_cents or 0), sign)

    def status_change(self, conversion: Conversion, old_status: str) -> None:
        self.conversion(conversion, status=old_status, sign=-1)
        self.conversion(conversion)


def apply(session: Session | Connection, delta: RollupDelta) -> None:
    """Add the increments inside the caller's transaction (the caller commits)."""
    if not delta.rows:
        return
    session.execute(_UPSERT, [dict(zip(UPSERT_COLUMNS, row)) for row in upsert_rows(delta)])


def upsert_rows(delta: RollupDelta) -> list[tuple]:
    """The delta's rows as values for UPSERT_COLUMNS, sorted by key: every writer locks rows in one order."""
    return [(*key, *amounts) for key, amounts in sorted(delta.rows.items())]


UPSERT_COLUMNS = (*_KEY_COLUMNS, *ROLLUP_METRICS)
# What follows INSERT INTO report_rollups (UPSERT_COLUMNS) VALUES …: each metric adds the new row's, in the
# syntax PostgreSQL and SQLite share.
ON_CONFLICT_ADD = (f"ON CONFLICT ({', '.join(_KEY_COLUMNS)}) DO UPDATE SET "
                   + ", ".join(f"{m} = {ReportRollup.__tablename__}.{m} + excluded.{m}" for m in ROLLUP_METRICS))
# Written once as text: SQLAlchemy cannot cache an ON CONFLICT construct, and building and compiling one for
# every group commit cost the click path more than running it.
_UPSERT = text(f"INSERT INTO {ReportRollup.__tablename__} ({', '.join(UPSERT_COLUMNS)}) "
               f"VALUES ({', '.join(':' + c for c in UPSERT_COLUMNS)}) {ON_CONFLICT_ADD}")


def rebuild(session: Session, partner_ids: Iterable[int]) -> None:
    """Recompute these partners' rollups from the raw tables (inside the caller's transaction)."""
    ids = sorted(set(partner_ids))
    if not ids:
        return
    dialect = session.get_bind().dialect.name
    session.execute(delete(ReportRollup).where(ReportRollup.partner_id.in_(ids)))
    zero = literal(0)

    def one_if(condition):
        return func.sum(case((condition, 1), else_=0))

    def cents_if(condition, cents):
        return func.sum(case((condition, cents), else_=0))

    c = Click.__table__.c
    valid = click_payouts.valid(c)
    # Each grouped expression is one object used in SELECT and GROUP BY, so PostgreSQL sees one parameter.
    click_hour, click_sub1 = hour_number_sql(c.created_at, dialect), func.coalesce(c.sub1, "")
    clicks = (select(c.partner_id, click_hour.label("hour"), c.offer_id, click_sub1.label("sub1"),
                     c.is_test, one_if(valid).label("clicks"), one_if(valid & c.is_unique).label("unique_clicks"),
                     zero.label("conversions"), zero.label("events"),
                     func.sum(c.payout_cents).label("earnings_cents"),
                     zero.label("on_hold_conversions"), zero.label("on_hold_earnings_cents"),
                     zero.label("impressions"), one_if(~valid).label("invalid_clicks"),
                     zero.label("network_revenue_cents"))
              .where(c.partner_id.in_(ids))
              .group_by(c.partner_id, click_hour, c.offer_id, click_sub1, c.is_test))
    i = Impression.__table__.c
    impression_hour, impression_sub1 = hour_number_sql(i.created_at, dialect), func.coalesce(i.sub1, "")
    impressions = (select(i.partner_id, impression_hour.label("hour"), i.offer_id, impression_sub1.label("sub1"),
                          i.is_test, zero, zero, zero, zero, zero, zero, zero, func.count(), zero, zero)
                   .where(i.partner_id.in_(ids))
                   .group_by(i.partner_id, impression_hour, i.offer_id, impression_sub1, i.is_test))
    v = Conversion.__table__.c
    counted, on_hold = v.status.in_(COUNTED_STATUSES), v.status == "on_hold"
    conversion_hour, conversion_sub1 = hour_number_sql(v.created_at, dialect), func.coalesce(v.sub1, "")
    conversions = (select(v.partner_id, conversion_hour.label("hour"), v.offer_id,
                          conversion_sub1.label("sub1"), v.is_test, zero, zero,
                          one_if(counted & v.event_name.is_(None)), one_if(counted & v.event_name.is_not(None)),
                          cents_if(counted, v.payout_cents), one_if(on_hold), cents_if(on_hold, v.payout_cents),
                          zero, zero, cents_if(counted, v.network_revenue_cents))
                   .where(v.partner_id.in_(ids))
                   .group_by(v.partner_id, conversion_hour, v.offer_id, conversion_sub1, v.is_test))
    both = union_all(clicks, impressions, conversions).subquery()
    merged = select(*[both.c[k] for k in _KEY_COLUMNS], *[func.sum(both.c[m]) for m in ROLLUP_METRICS]) \
        .group_by(*[both.c[k] for k in _KEY_COLUMNS])
    session.execute(insert(ReportRollup.__table__).from_select([*_KEY_COLUMNS, *ROLLUP_METRICS], merged))
