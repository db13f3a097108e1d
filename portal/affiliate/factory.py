"""Where both doors get their scopes: which backend serves the data, and the network's policy, from the app.

The one module of the façade that reads the app's config (`current_app`); see backend.py for the parts.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from flask import current_app

from portal.affiliate.backend import AffiliateBackend, LocalAccounts
from portal.affiliate.scope import AffiliateScope
from portal.affiliate.sql_accounts import SqlAccounts
from portal.affiliate.sql_backend import SqlBackend
from portal.affiliate.upstream.backend import UpstreamBackend
from portal.affiliate.upstream.client import Settings, UpstreamClient
from portal.domain.accounts import NetworkView, PartnerRecord
from portal.domain.actors import Actor
from portal.domain.policy import MANUAL_SENDS_PER_MINUTE, PostbackPolicy
from portal.extensions import limiter
from portal.http import manual_sends


def backend_for(config: Mapping[str, Any], accounts: LocalAccounts,
                partner: PartnerRecord | None = None) -> AffiliateBackend:
    """The DATA backend this deployment's scopes use: this app's own tables, or, with PORTAL_UPSTREAM_URL
    set, the upstream network API (portal.affiliate.upstream) for the affiliate the partner is linked to
    (LocalAccounts.upstream_affiliate_id; a partner not linked gets a backend that says so). Nothing else in
    either door changes."""
    if not config.get("UPSTREAM_URL"):
        return SqlBackend()
    if partner is None:
        raise ValueError("upstream mode builds a backend for one partner")
    linked = getattr(partner, "upstream_affiliate_id", None)  # a PartnerRecord read with its key carries it
    if linked is None:
        linked = accounts.upstream_affiliate_id(partner.id)
    return UpstreamBackend(upstream_client(config), linked, timezone=partner.timezone or "UTC",
                           currency=partner.currency or "USD", accounts=accounts)


def upstream_client(config: Mapping[str, Any]) -> UpstreamClient:
    """A client of this deployment's upstream (cheap: the session and the reference cache are the process's);
    its budget is spent in the rate-limit store (Redis when configured)."""
    return UpstreamClient(Settings.from_config(config), limiter.limiter)


def accounts_for(config: Mapping[str, Any]) -> LocalAccounts:
    """The LOCAL part: this portal's own database in every mode (sign-in, users, keys, notices stay here)."""
    return SqlAccounts()


def postback_policy(config: Mapping[str, Any], accounts: LocalAccounts) -> PostbackPolicy:
    prefix = config.get("RATELIMIT_KEY_PREFIX") or ""
    return PostbackPolicy(
        partners_may_edit=accounts.postbacks_self_service(),
        any_port=bool(config.get("POSTBACK_ALLOW_PRIVATE_DESTINATIONS")),
        manual_sends_per_minute=MANUAL_SENDS_PER_MINUTE,
        spend_manual_send=partial(manual_sends.spend, prefix, MANUAL_SENDS_PER_MINUTE),
    )


def scope_for(partner: PartnerRecord, actor: Actor | None) -> AffiliateScope:
    """A scope for one partner (a PartnerRecord, or the Partner row) and whoever acts for it."""
    config = current_app.config
    accounts = accounts_for(config)
    return AffiliateScope(partner, backend_for(config, accounts, partner), accounts=accounts, actor=actor,
                          policy=partial(postback_policy, config, accounts))


def credential(secret: str) -> Any | None:
    """The key to this portal a secret is, for the Affiliate API's authentication (see LocalAccounts.credential)."""
    return accounts_for(current_app.config).credential(secret)


def network_view() -> NetworkView:
    """The network's public face, for what needs it outside any partner's scope (the API's description)."""
    return accounts_for(current_app.config).network()
