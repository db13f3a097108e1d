"""Upstream mode against a scripted upstream (a real local listener): the app pointed at it (a module takes it
as its `app`), and a partner linked to affiliate AFFILIATE with a key. Modules that need a scripted route up
front override `upstream`."""

from __future__ import annotations

import pytest

from tests.affiliate.upstream.scripted import Scripted, serve

AFFILIATE = 7


@pytest.fixture
def upstream():
    scripted = Scripted()
    with serve(scripted) as server:
        scripted.url = server.url
        yield scripted


@pytest.fixture
def upstream_app(make_app, upstream):
    """The app in upstream mode against the scripted upstream; a module serves it as its `app`."""
    from portal.extensions import db

    app = make_app(UPSTREAM_URL=upstream.url, UPSTREAM_API_KEY="network-key", UPSTREAM_TIMEOUT=1.5,
                   UPSTREAM_RETRIES=1, API_RATE_PER_SECOND=100_000, API_RATE_BURST=100_000, API_PARTNER_SHARE=1)
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def linked(make, db, issue):
    """A partner linked to AFFILIATE upstream, and its Affiliate API key."""
    partner = make.partner()
    partner.upstream_affiliate_id = AFFILIATE
    db.session.commit()
    return partner, issue(partner)
