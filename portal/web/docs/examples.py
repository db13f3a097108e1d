"""The docs page's example requests, and the responses the running API gave to them, stored as files.

Each Example names a real request. Its response is not written by hand: tests/web/docs/test_docs.py sends every
request to the real API (a partner with fixed demo-like traffic, a real key), normalises what changes
from run to run (database ids, creation times) with `normalise`, and fails if the stored file differs.
`UPDATE_DOCS_EXAMPLES=1 pytest tests/web/docs/test_docs.py -k examples` rewrites the files after a deliberate
change, so that what partners read is always what the API answers today.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"


@dataclass(frozen=True)
class Example:
    name: str  # the file's stem and the anchor on the page
    section: str  # account, reporting or postbacks
    title: str
    method: str
    path: str  # with its query string
    body: Mapping[str, Any] | None = None

    def request(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "body": self.body}


_WEEK = {"from": "2026-11-02", "to": "2026-11-08", "timezone_id": 67}

EXAMPLES: tuple[Example, ...] = (
    Example("account", "account", "Your account", "GET", "/v1/affiliates/affiliate"),
    Example("report-by-offer", "reporting", "Earnings by offer for a week", "POST",
            "/v1/affiliates/reporting/entity/table",
            {**_WEEK, "columns": [{"column": "offer"}], "query": {"filters": []}}),
    Example("conversions", "reporting", "Approved conversions, newest first, two per page", "POST",
            "/v1/affiliates/reporting/conversions?page=1&page_size=2",
            {**_WEEK, "query": {"filters": [{"resource_type": "status", "filter_id_value": "approved"}]}}),
    Example("pixel-create", "postbacks", "Add a postback for every offer", "POST", "/v1/affiliates/pixels",
            {"delivery_method": "postback", "pixel_level": "global", "pixel_type": "conversion",
             "pixel_status": "active",
             "postback_url": "https://tracker.example.com/postback?click={transaction_id}&payout={payout}"
                             "&event={event_id}",
             "description": "Main tracker"}),
    Example("pixel-list", "postbacks", "Your postbacks", "GET", "/v1/affiliates/pixels?page=1&page_size=50"),
)


def by_section(section: str) -> list[Example]:
    return [e for e in EXAMPLES if e.section == section]


def path_of(example: Example) -> Path:
    return EXAMPLES_DIR / f"{example.name}.json"


def stored(example: Example) -> dict[str, Any]:
    """The recorded request and response of an example (tests/web/docs/test_docs.py fails when one is missing)."""
    return json.loads(path_of(example).read_text(encoding="utf-8"))


def record(example: Example, status: int, response: Any) -> dict[str, Any]:
    return {"request": example.request(), "status": status, "response": response}


def write(example: Example, recorded: Mapping[str, Any]) -> None:
    EXAMPLES_DIR.mkdir(exist_ok=True)
    path_of(example).write_text(json.dumps(recorded, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def normalise(value: Any, replacements: Mapping[str, Any]) -> Any:
    """The value with run-specific data swapped for stable stand-ins.

    `replacements` maps a field name to {value seen in this run: value to show}, e.g.
    {"network_offer_id": {8: 12}}, or to one value shown whatever was seen (for creation times); a report
    cell {"column_type": "offer", "id": "8"} follows the offer's mapping. Anything not listed is kept
    exactly, so every other difference fails the comparison."""
    if isinstance(value, list):
        return [normalise(v, replacements) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        mapping = replacements.get(key)
        if key == "id" and value.get("column_type") == "offer":
            offers = replacements.get("network_offer_id", {})
            out[key] = str(offers.get(int(item), item)) if str(item).isdigit() else item
        elif mapping is not None and not isinstance(mapping, Mapping) and item is not None:
            out[key] = mapping
        elif isinstance(mapping, Mapping) and not isinstance(item, (dict, list)) and item in mapping:
            out[key] = mapping[item]
        else:
            out[key] = normalise(item, replacements)
    return out


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
