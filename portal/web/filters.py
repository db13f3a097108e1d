"""Template filters: money from minor units, UTC times shown in a chosen timezone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask


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


def init_app(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(local_time)
