"""Template filters and globals: money from minor units, UTC times shown in a chosen timezone, and the
network's name (the one the docs use too) for every page's title and header."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from portal.queries.settings import network_settings

# Shown only when the settings cannot be read (the page then is an error page anyway).
FALLBACK_NETWORK_NAME = "Partner Portal"


def money(cents: int | None, currency: str = "USD") -> str:
    """Minor units to a display amount, in integer arithmetic (no binary floats for money)."""
    cents = cents or 0
    units, rest = divmod(abs(cents), 100)
    amount = f"{'-' if cents < 0 else ''}{units:,}.{rest:02d}"
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency)
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


def local_time(value: datetime | None, tz: str = "UTC", fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(tz)).strftime(fmt)


def network_name() -> str:
    """The network's name from its settings (staff → Settings), the single source for pages and docs."""
    try:
        return network_settings().network_name or FALLBACK_NETWORK_NAME
    except (SQLAlchemyError, LookupError):
        return FALLBACK_NETWORK_NAME  # an error page about the database must still render


def init_app(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(local_time)
    app.add_template_global(network_name)
