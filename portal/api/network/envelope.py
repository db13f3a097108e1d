"""PartnerStack's envelope: `{"data": …, "message": …, "status": …}`; lists put `items` and `has_more` in data
(schemas.One and schemas.Page)."""

from __future__ import annotations

from flask import jsonify
from pydantic import BaseModel

from portal.api.network.schemas import Items, One, Page


def one(data: BaseModel, message: str):
    return jsonify(One[type(data)](data=data, message=message, status=200).model_dump()), 200


def page(items: list[BaseModel], has_more: bool, message: str = "Page returned successfully"):
    model = type(items[0]) if items else BaseModel  # an empty page has no item to type
    body = Page[model](data=Items[model](items=items, has_more=has_more), message=message, status=200)
    return jsonify(body.model_dump()), 200
