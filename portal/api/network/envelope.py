"""PartnerStack's envelope: `{"data": …, "message": …, "status": …}`; lists put `items` and `has_more` in data."""

from __future__ import annotations

from typing import Any

from flask import jsonify


def one(data: dict[str, Any], message: str, status: int = 200):
    return jsonify(data=data, message=message, status=status), status


def page(items: list[dict[str, Any]], has_more: bool, message: str = "Page returned successfully"):
    return jsonify(data={"items": items, "has_more": has_more}, message=message, status=200), 200
