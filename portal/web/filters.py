"""Template filters: money from minor units, UTC times shown in a chosen timezone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask


def money(cents: int | None, currency: str = "USD") -> str:
    value = (cents or 0) / 100
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency)
    return f"{symbol}{value:,.2f}" if symbol else f"{value:,.2f} {currency}"


def local_time(value: datetime | None, tz: str = "UTC", fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(tz)).strftime(fmt)


def init_app(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(local_time)
