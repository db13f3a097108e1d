"""What a partner's script does with Everflow's Affiliate API, written from Everflow's documentation only:
base URL + X-Eflow-API-Key header, JSON bodies, paging by `?page=&page_size=` until
`page * page_size >= total_count`. The live tests run it over real HTTP against the portal with only the base
URL changed (no published Everflow client library is installable from the package registries)."""

from __future__ import annotations

import json
from urllib.error import HTTPError
from urllib.request import Request, urlopen


class EverflowError(Exception):
    """An answer other than 2xx: its status and its JSON body (Everflow's `{"error": "…"}`)."""

    def __init__(self, code: int, body) -> None:
        super().__init__(f"{code}: {body}")
        self.code, self.body = code, body


class EverflowScript:
    """A partner's script: base URL + X-Eflow-API-Key; every answer a JSON object (an error raises)."""

    def __init__(self, base_url: str, key: str) -> None:
        self.base_url, self.key = base_url.rstrip("/"), key

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = Request(self.base_url + path, data=data, method=method,
                          headers={"X-Eflow-API-Key": self.key, "Content-Type": "application/json",
                                   "Accept": "application/json"})
        try:
            with urlopen(request, timeout=10) as response:
                return json.loads(response.read())
        except HTTPError as error:
            with error:  # the answer's connection is closed, read or not
                raise EverflowError(error.code, json.loads(error.read() or b"null")) from None

    def every(self, method: str, path: str, key: str, body: dict | None = None, page_size: int = 2) -> list[dict]:
        """Every item under `key`, page by page (the query string carries the paging, even on a POST)."""
        items, page = [], 1
        separator = "&" if "?" in path else "?"
        while True:
            found = self.call(method, f"{path}{separator}page={page}&page_size={page_size}", body)
            items += found[key]
            paging = found["paging"]
            if paging["page"] * paging["page_size"] >= paging["total_count"]:
                return items
            page += 1

    def every_runnable_offer(self) -> list[dict]:
        return self.every("GET", "/v1/affiliates/offersrunnable", "offers")
