"""A world of traffic controls for the partner page and API tests: two partners, a public and a private
offer (granted to beta only), and rules for everyone, for alpha only, for beta only, and inactive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from portal.models import OfferAccess, TrafficControl, TrafficControlOffer, TrafficControlPartner


@dataclass
class TrafficWorld:
    alpha: object
    beta: object
    public: object
    private: object
    everyone: TrafficControl
    alpha_only: TrafficControl
    beta_only: TrafficControl
    private_only: TrafficControl
    inactive: TrafficControl
    ended: TrafficControl
    allow: TrafficControl


def control(db, name, offers=(), partners=(), **fields) -> TrafficControl:
    fields.setdefault("variable", "sub1")
    fields.setdefault("values", ["spam"])
    row = TrafficControl(name=name, is_apply_all_offers=not offers, is_apply_all_affiliates=not partners, **fields)
    db.session.add(row)
    db.session.flush()
    db.session.add_all([TrafficControlOffer(traffic_control_id=row.id, offer_id=o.id) for o in offers])
    db.session.add_all([TrafficControlPartner(traffic_control_id=row.id, partner_id=p.id) for p in partners])
    db.session.commit()
    return row


def build_traffic_world(db, make) -> TrafficWorld:
    alpha, beta = make.partner(name="Alpha Media"), make.partner(name="Beta Media")
    public, private = make.offer(name="Acme Shoes"), make.offer(name="Secret Tea", visibility="private")
    db.session.add(OfferAccess(partner_id=beta.id, offer_id=private.id, status="approved"))
    db.session.commit()
    return TrafficWorld(
        alpha, beta, public, private,
        everyone=control(db, "Network-wide junk", values=["junk", "spam"], comparison_method="contains"),
        alpha_only=control(db, "Alpha's bad source", partners=(alpha,), offers=(public,), variable="source_id",
                           values=["popunder"]),
        beta_only=control(db, "Beta's bad source", partners=(beta,), values=["beta-secret-value"]),
        private_only=control(db, "Secret Tea rule", offers=(private,), values=["tea-secret"]),
        inactive=control(db, "Retired rule", status="inactive", values=["old"]),
        ended=control(db, "Ended rule", values=["over"], date_valid_to=datetime.now(UTC) - timedelta(hours=1)),
        allow=control(db, "US and CA only", variable="country", values=["US", "CA"], control_type="whitelist",
                      partners=(alpha, beta)),
    )
