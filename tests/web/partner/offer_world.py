"""Offers for the partner pages' tests: one of every standing a partner can have, with landing pages,
creatives (a banner in the file store), coupon codes, and another partner's private offer."""

from __future__ import annotations

import io
from dataclasses import dataclass

from portal.models import CouponCode, Creative, OfferAccess, OfferUrl, ProductFeed
from portal.models.base import utcnow
from portal.storage import store_for

# The smallest valid PNG (1×1, transparent): a real image for the gallery's preview.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000100ffff03000006000557bfabd40000000049454e44ae426082")


def add(db, row):
    db.session.add(row)
    db.session.commit()
    return row


def access(db, partner, offer, status, **fields):
    return add(db, OfferAccess(partner_id=partner.id, offer_id=offer.id, status=status, **fields))


def banner(app, db, offer, name="Spring banner", content_type="image/png", body=PNG, suffix=".png"):
    key = store_for(app).save(io.BytesIO(body), suffix)
    return add(db, Creative(offer_id=offer.id, name=name, creative_type="image", file_key=key,
                            filename=f"spring{suffix}", content_type=content_type, file_size=len(body),
                            width=1, height=1))


@dataclass
class OfferWorld:
    partner: object
    other: object
    public: object  # runnable, deep links allowed, a landing page, creatives, a coupon code
    approval: object  # require_approval, never applied to
    pending: object  # require_approval, applied
    rejected: object  # require_approval, rejected with a reason
    paused: object  # public, paused: listed, not runnable
    secret: object  # private, not granted: invisible
    others_private: object  # private, granted to the other partner only
    landing: object
    image: object
    html: object
    others_image: object
    coupon: object
    others_coupon: object
    feed: object
    others_feed: object


def build(app, db, make) -> OfferWorld:
    partner, other = make.partner(name="Bluebird Media"), make.partner(name="Other Media")
    public = make.offer(name="Acme Shoes Spring Sale", category="Retail", deep_links_allowed=True,
                        description="<p>Sell <strong>shoes</strong></p>", restrictions="No email traffic.",
                        allowed_countries=["US", "CA"], daily_conversion_cap=100, payout_amount=1250)
    approval = make.offer(name="Bluebird VPN Annual", category="Software", visibility="require_approval")
    pending = make.offer(name="Northwind Insurance", category="Finance", visibility="require_approval")
    rejected = make.offer(name="Contoso Casino", category="Gaming", visibility="require_approval")
    paused = make.offer(name="Paused Deals", category="Retail", status="paused")
    secret = make.offer(name="Secret Launch", category="Retail", visibility="private")
    others_private = make.offer(name="Other's Exclusive", category="Retail", visibility="private")
    access(db, partner, pending, "pending", application_note="We run search", applied_at=utcnow())
    access(db, partner, rejected, "rejected", applied_at=utcnow(), decided_at=utcnow(),
           decision_reason="Gambling traffic is not allowed in your region")
    access(db, other, others_private, "approved")
    landing = add(db, OfferUrl(offer_id=public.id, name="Summer landing page",
                               destination_url="https://advertiser.example/summer"))
    image = banner(app, db, public)
    html = add(db, Creative(offer_id=public.id, name="Email-safe HTML", creative_type="html",
                            html_code='<a href="{tracking_link}"><b>Shop now</b></a>'))
    others_image = banner(app, db, others_private, name="Other's banner")
    coupon = add(db, CouponCode(offer_id=public.id, partner_id=partner.id, code="BLUEBIRD10",
                                description="10% off"))
    others_coupon = add(db, CouponCode(offer_id=public.id, partner_id=other.id, code="OTHER20"))
    feed = feed_of(app, db, public, "Spring catalogue")
    others_feed = feed_of(app, db, others_private, "Other's catalogue")
    return OfferWorld(partner, other, public, approval, pending, rejected, paused, secret, others_private, landing,
                      image, html, others_image, coupon, others_coupon, feed, others_feed)


FEED = b"sku,name,price\n1,Runner,59.00\n"


def feed_of(app, db, offer, name):
    key = store_for(app).save(io.BytesIO(FEED), ".csv")
    return add(db, ProductFeed(offer_id=offer.id, name=name, file_key=key, filename="catalogue.csv",
                               content_type="text/csv", file_size=len(FEED)))
