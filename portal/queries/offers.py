"""Offer reads for the staff console's forms."""

from __future__ import annotations

from sqlalchemy import or_, select

from portal.extensions import db
from portal.models import Offer


def offer_choices(keep: int | None = None) -> list[tuple[int, str]]:
    """(id, "#id name") of the active offers, for a select; `keep` (the one chosen now) is listed whatever
    its status, marked, so that saving the form keeps it until someone picks another."""
    rows = db.session.execute(select(Offer.id, Offer.name, Offer.status)
                              .where(or_(Offer.status == "active", Offer.id == keep)).order_by(Offer.id))
    return [(offer_id, f"#{offer_id} {name}" + ("" if status == "active" else f" ({status})"))
            for offer_id, name, status in rows]
