"""The network's own settings (one row): its name, timezone, currency and policies."""

from __future__ import annotations

from portal.extensions import db
from portal.models import SETTINGS_ROW_ID, NetworkSettings


def network_settings() -> NetworkSettings:
    settings = db.session.get(NetworkSettings, SETTINGS_ROW_ID)
    if settings is None:  # the first migration creates it; a missing row is a broken installation
        raise LookupError("network settings row is missing; run `flask --app wsgi db upgrade`")
    return settings
