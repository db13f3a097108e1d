"""JSON shapes of the account endpoints, in the Everflow Affiliate API's field names."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portal.domain import timezones
from portal.domain.accounts import AccountView, NetworkView


def _split_name(name: str | None) -> tuple[str, str]:
    first, _, last = (name or "").strip().partition(" ")
    return first, last.strip()


def account(view: AccountView) -> dict[str, Any]:
    manager = None
    if view.account_manager_email:
        first, last = _split_name(view.account_manager_name)
        manager = {"first_name": first, "last_name": last, "name": view.account_manager_name or "",
                   "email": view.account_manager_email}
    return {
        "network_affiliate_id": view.affiliate_id,
        "name": view.name,
        "account_status": view.status,
        "default_currency_id": view.currency,
        "timezone_id": timezones.reported_id(view.timezone),  # Everflow's id of the zone, or of one with its clock
        "timezone": view.timezone,  # (ext) the IANA name, also for zones outside Everflow's table
        "relationship": {"account_manager": manager},
    }


def network(view: NetworkView) -> dict[str, Any]:
    return {
        "network_id": view.network_id,
        "displayed_name": view.name,
        "logo_image_url": view.logo_url or "",
        "timezone_id": timezones.reported_id(view.timezone),
        "timezone": view.timezone,
        "default_currency_id": view.currency,
    }


def timezone_list(now: datetime | None = None) -> dict[str, Any]:
    return {"timezones": [
        {"timezone_id": tz.timezone_id, "timezone_name": tz.name, "timezone": tz.iana,
         "utc_offset": tz.utc_offset(now)}
        for tz in timezones.TIMEZONES
    ]}
