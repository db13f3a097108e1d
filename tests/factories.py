"""Small factories for test rows; every default is a fresh value so tests never share state."""

from __future__ import annotations

import itertools
import secrets
from datetime import UTC, datetime

from sqlalchemy import select

from portal.models import PERMISSIONS, Click, Conversion, Impression, Offer, OfferAccess, StaffUser
from portal.services.partners import add_partner_user, create_partner
from portal.services.passwords import hash_password
from portal.services.rollups import RollupDelta
from portal.services.rollups import apply as apply_rollups
from portal.services.rollups import click_payout_cents
from tests.servers import POLL_SECONDS

TEST_PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


class Factories:
    def __init__(self, db) -> None:
        self.db = db

    def partner(self, name: str | None = None, **fields):
        n = next(_seq)
        fields.setdefault("first_name", "Pat")
        fields.setdefault("last_name", f"Partner{n}")
        return create_partner(name=name or f"Partner {n}", **fields)

    def partner_user(self, partner, email: str | None = None, role: str = "admin", **fields):
        user = add_partner_user(partner, email=email or f"user{next(_seq)}@partner.test", name="Partner User",
                                password=TEST_PASSWORD, role=role)
        for key, value in fields.items():
            setattr(user, key, value)
        self.db.session.commit()
        return user

    def staff(self, permissions=PERMISSIONS, email: str | None = None, **fields):
        user = StaffUser(email=email or f"staff{next(_seq)}@network.test", name=fields.pop("name", "Staff Member"),
                         password_hash=hash_password(TEST_PASSWORD), permissions=list(permissions), **fields)
        self.db.session.add(user)
        self.db.session.commit()
        return user

    def offer(self, **fields):
        fields.setdefault("name", f"Offer {next(_seq)}")
        fields.setdefault("destination_url", "https://advertiser.example/landing")
        fields.setdefault("payout_amount", 500)
        offer = Offer(**fields)
        self.db.session.add(offer)
        self.db.session.commit()
        return offer

    def click(self, partner, offer, at: datetime | None = None, **fields):
        """A click as the tracker takes it: a unique valid one earns the partner's CPC as it stands now."""
        fields.setdefault("is_unique", True)
        fields.setdefault("is_test", False)
        if "payout_cents" not in fields:
            access = self.db.session.scalar(select(OfferAccess).where(OfferAccess.partner_id == partner.id,
                                                                      OfferAccess.offer_id == offer.id))
            earns = fields["is_unique"] and fields.get("error_code") is None
            fields["payout_cents"] = click_payout_cents(offer, access) if earns else 0
        fields.setdefault("currency", (offer.currency or "USD") if fields["payout_cents"] else None)  # as the tracker
        click = Click(transaction_id=secrets.token_hex(16), partner_id=partner.id, offer_id=offer.id,
                      created_at=at or datetime.now(UTC), **fields)
        self.db.session.add(click)
        delta = RollupDelta()  # as every writer of traffic does, in the same transaction
        delta.click(click)
        apply_rollups(self.db.session, delta)
        self.db.session.commit()
        return click

    def impression(self, partner, offer, at: datetime | None = None, **fields):
        fields.setdefault("is_test", False)
        impression = Impression(partner_id=partner.id, offer_id=offer.id, created_at=at or datetime.now(UTC),
                                **fields)
        self.db.session.add(impression)
        delta = RollupDelta()
        delta.impression(impression)
        apply_rollups(self.db.session, delta)
        self.db.session.commit()
        return impression

    def access(self, partner, offer, status: str = "approved", **fields):
        """A partner's standing on an offer (an application, grant or block; a payout override)."""
        access = OfferAccess(partner_id=partner.id, offer_id=offer.id, status=status, **fields)
        self.db.session.add(access)
        self.db.session.commit()
        return access

    def conversion(self, partner, offer, at: datetime | None = None, payout_cents: int = 500, **fields):
        fields.setdefault("status", "approved")
        fields.setdefault("is_test", False)
        fields.setdefault("currency", offer.currency or "USD")  # as the intake records it: the offer's
        conversion = Conversion(conversion_id=secrets.token_hex(16), partner_id=partner.id, offer_id=offer.id,
                                payout_cents=payout_cents, created_at=at or datetime.now(UTC), **fields)
        self.db.session.add(conversion)
        delta = RollupDelta()
        delta.conversion(conversion)
        apply_rollups(self.db.session, delta)
        self.db.session.commit()
        return conversion

    # Postback intake and delivery helpers (tests/tracking/, tests/web/staff/test_conversions.py and test_delivery_metrics.py).

    def server_postback(self, partner, **fields):
        """A partner's postback row, written directly (no partner page involved)."""
        from portal.models import Postback

        fields.setdefault("url", "https://partner.example/pb?tid={transaction_id}&e={event_id}")
        postback = Postback(partner_id=partner.id, **fields)
        self.db.session.add(postback)
        self.db.session.commit()
        return postback

    def delivery(self, postback, **fields):
        """An outbox row of a postback, with any timestamps a test needs."""
        from portal.models import PostbackDelivery

        fields.setdefault("event_id", f"evt-{secrets.token_hex(8)}")
        delivery = PostbackDelivery(postback_id=postback.id, **fields)
        self.db.session.add(delivery)
        self.db.session.commit()
        return delivery

    def attempt(self, delivery, at: datetime, outcome: str = "delivered", **fields):
        from portal.models import PostbackAttempt

        fields.setdefault("attempt_number", 1)
        fields.setdefault("url", "https://partner.example/pb")
        attempt = PostbackAttempt(delivery_id=delivery.id, postback_id=delivery.postback_id, attempted_at=at,
                                  outcome=outcome, **fields)
        self.db.session.add(attempt)
        self.db.session.commit()
        return attempt


# --- postbacks: a partner's tracker ---------------------------------------------------------------------


class Listener:
    """A real HTTP server on 127.0.0.1 (a partner's tracker): records every request, answers `status`/`body`.

    with Listener() as listener: … listener.url, listener.requests (path + query of each GET, in order).
    """

    def __init__(self, status: int = 200, body: bytes = b"OK") -> None:
        import http.server
        import threading

        self.status, self.body, self.requests = status, body, []
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802  (the stdlib's name)
                listener.requests.append(self.path)
                self.send_response(listener.status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(listener.body)))
                self.end_headers()
                self.wfile.write(listener.body)

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": POLL_SECONDS},
                                       daemon=True)

    def __enter__(self) -> "Listener":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
