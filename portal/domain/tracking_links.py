"""The tracking link and impression URL formats, shared by whoever builds them (the façade, the pages,
the API) and whoever reads them (the tracker), so the two cannot drift.

    {base}/c/{affiliate_id}/{offer_id}?uid=&sub1=…&sub5=&source_id=&creative_id=&url=
    {base}/r/{partner_key}/{offer_id}?…         (the same, resolved by any partner_key the partner ever had)
    {base}/i/{affiliate_id}/{offer_id}?uid=&sub1=…&creative_id=

Parameter names are Everflow's: `sub1`–`sub5`, `source_id`, `uid` (the offer URL id; absent or 0 is the
offer's default landing page), `creative_id`, and `url` for a deep link where the offer allows one.
Landing-page macros are filled at click time by the tracker; see DESTINATION_MACROS.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, urlencode

SUB_PARAMETERS = ("sub1", "sub2", "sub3", "sub4", "sub5", "source_id")
LINK_PARAMETERS = ("uid", *SUB_PARAMETERS, "creative_id", "url")
MAX_SUB_LENGTH = 500  # the clicks table's sub columns
MAX_DEEP_LINK_LENGTH = 2000
# Macros an offer's landing page URL may carry; the tracker URL-encodes each value it puts in.
DESTINATION_MACROS = (
    "transaction_id", "affiliate_id", "offer_id", "offer_url_id", "creative_id",
    "sub1", "sub2", "sub3", "sub4", "sub5", "source_id", "country_code", "unix_timestamp",
)
CLICK_PREFIX, PARTNER_KEY_PREFIX, IMPRESSION_PREFIX = "/c", "/r", "/i"


def _query(url_id: int, values: Mapping[str, str | int | None]) -> str:
    pairs = [("uid", str(url_id))] if url_id else []
    pairs += [(name, str(values[name])) for name in (*SUB_PARAMETERS, "creative_id", "url")
              if values.get(name) not in (None, "", 0)]
    return ("?" + urlencode(pairs, quote_via=quote)) if pairs else ""


def click_url(base: str, affiliate_id: int, offer_id: int, url_id: int = 0,
              values: Mapping[str, str | int | None] | None = None) -> str:
    """A partner's tracking link; `values` may hold sub1–sub5, source_id, creative_id and url."""
    return f"{base}{CLICK_PREFIX}/{affiliate_id}/{offer_id}{_query(url_id, values or {})}"


def partner_key_url(base: str, partner_key: str, offer_id: int, url_id: int = 0,
                    values: Mapping[str, str | int | None] | None = None) -> str:
    """The same link keyed by partner_key (PartnerStack's referral links); any key the partner ever had
    keeps resolving to that partner."""
    return f"{base}{PARTNER_KEY_PREFIX}/{quote(partner_key, safe='')}/{offer_id}{_query(url_id, values or {})}"


def impression_url(base: str, affiliate_id: int, offer_id: int, url_id: int = 0,
                   values: Mapping[str, str | int | None] | None = None) -> str:
    """The impression pixel's URL (a 1×1 image): put it in an <img> beside the creative."""
    return f"{base}{IMPRESSION_PREFIX}/{affiliate_id}/{offer_id}{_query(url_id, values or {})}"
