"""Which backend answers a partner's data: this app's SQL tables, or the upstream network API when
PORTAL_UPSTREAM_URL is set (the seam the scope factory uses; the local part — account, users, keys,
network view — is always this app's own)."""

from __future__ import annotations

from flask import current_app

from portal.affiliate.backend import AffiliateBackend
from portal.affiliate.sql_backend import SqlBackend
from portal.affiliate.upstream.backend import UpstreamBackend
from portal.affiliate.upstream.client import Settings, UpstreamClient
from portal.extensions import limiter


def upstream_mode() -> bool:
    return bool(current_app.config.get("UPSTREAM_URL"))


def upstream_client() -> UpstreamClient:
    """A client for this app's upstream (cheap: the session and the cache are the process's)."""
    return UpstreamClient(Settings.from_config(current_app.config), limiter.limiter)


def data_backend(partner) -> AffiliateBackend:
    """The backend for one partner (a Partner or a PartnerRecord)."""
    if not upstream_mode():
        return SqlBackend()
    return UpstreamBackend(upstream_client(), getattr(partner, "upstream_affiliate_id", None),
                           timezone=partner.timezone or "UTC", currency=partner.currency or "USD")
