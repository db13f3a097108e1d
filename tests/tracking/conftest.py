"""Fixtures of the intake tests: the network-wide intake token."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from portal.models import NetworkSettings

NETWORK_TOKEN = "network-intake-token-0123456789"


@pytest.fixture
def network_token(db):
    """The network-wide token is set for the test and cleared afterwards (the clean-up keeps settings)."""
    settings = db.session.get(NetworkSettings, 1)
    settings.intake_token_hash = hashlib.sha256(NETWORK_TOKEN.encode()).hexdigest()
    db.session.commit()
    yield NETWORK_TOKEN
    db.session.rollback()
    db.session.execute(sa.update(NetworkSettings).values(intake_token_hash=None))
    db.session.commit()
