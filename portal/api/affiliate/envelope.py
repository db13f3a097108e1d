"""The Affiliate API's request and response envelope: the JSON object body and the `paging` block."""

from __future__ import annotations

from portal.api.affiliate.errors import ApiError
from portal.domain.criteria import Paged
from portal.http.json_body import json_object


def json_body() -> dict:
    return json_object(ApiError)


def paging(found: Paged) -> dict:
    return {"page": found.page.page, "page_size": found.page.page_size, "total_count": found.total_count}
