"""Network API request bodies built from the partner's checked criteria, the affiliate filter always injected.

The partner's filters are Everflow's own resource types (portal.domain.criteria.FILTER_TYPES); an
`affiliate` filter never comes from the partner (parsing does not accept one, and any found is dropped
here): the only affiliate filter is the partner's upstream id, added last.

Timezones: the upstream knows Everflow's timezone ids (portal.domain.timezones). A partner's zone outside
that table is sent as the zone the API reports for it (timezones.reported: the same clock since 2000), or
else as a zone of the table that keeps the same clock over the days asked for (the same UTC offset at every
local midnight and noon of the window, so the days cut at the same instants); when none does, equivalent()
answers None and the caller asks in UTC and regroups locally.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from portal.domain.criteria import ConversionQuery, Filters, Window
from portal.domain.timezones import TIMEZONES, by_iana, reported

NETWORK_ONLY_FILTERS = frozenset({"affiliate", "advertiser", "affiliate_manager", "account_manager"})


UTC_ID = 67  # Everflow's UTC
MAX_COMPARED_DAYS = 800  # a longer window is compared at its ends and every 7th day between


def timezone_id(iana: str) -> int:
    """The Everflow timezone id of a zone of the table (UTC for anything else: see equivalent())."""
    found = by_iana(iana)
    return found.timezone_id if found is not None else UTC_ID


@lru_cache(maxsize=1024)
def equivalent(iana: str, first: date, last: date) -> int | None:
    """The Everflow id of a table zone with the same UTC offsets as `iana` over the local days first..last
    (the zone's own id when it is in the table); None when no zone of the table keeps its clock."""
    found = reported(iana)
    if found is not None:
        return found.timezone_id
    try:
        zone = ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    span = (last - first).days + 2
    step = 1 if span <= MAX_COMPARED_DAYS else 7
    days = [first + timedelta(days=n) for n in range(0, span, step)] + [last + timedelta(days=1)]
    moments = [datetime.combine(d, t, zone) for d in days for t in (time(0), time(12))]
    offsets = [m.utcoffset() for m in moments]
    for candidate in TIMEZONES:
        other = ZoneInfo(candidate.iana)
        if all(m.astimezone(other).utcoffset() == o for m, o in zip(moments, offsets, strict=True)):
            return candidate.timezone_id
    return None


def filters(affiliate_id: int, partner_filters: Filters = Filters()) -> list[dict]:
    found = [{"resource_type": kind, "filter_id_value": str(value)}
             for kind, values in partner_filters.by_type if kind not in NETWORK_ONLY_FILTERS for value in values]
    found.append({"resource_type": "affiliate", "filter_id_value": str(affiliate_id)})
    return found


def days(first: date, last: date, tz_name: str) -> dict:
    """Everflow's inclusive day range in the partner's zone; a zone no table zone matches (equivalent() is
    None) is asked for in UTC from the day before to the day after, which the caller regroups locally."""
    found = equivalent(tz_name, first, last)
    if found is None:
        return {"from": (first - timedelta(days=1)).isoformat(), "to": (last + timedelta(days=1)).isoformat(),
                "timezone_id": UTC_ID}
    return {"from": first.isoformat(), "to": last.isoformat(), "timezone_id": found}


def instants(start: datetime, end: datetime) -> dict:
    """A half-open UTC window as Everflow's inclusive datetime range, read in UTC (timezone 67)."""
    last = end - timedelta(seconds=1)
    return {"from": start.strftime("%Y-%m-%d %H:%M:%S"), "to": max(start, last).strftime("%Y-%m-%d %H:%M:%S"),
            "timezone_id": timezone_id("UTC")}


def report(affiliate_id: int, window: Window, columns: tuple[str, ...], partner_filters: Filters,
           currency: str, include_test: bool = False) -> dict:
    return {**days(window.first_day, window.last_day, window.timezone), "currency_id": currency,
            "include_test_data": include_test,
            "columns": [{"column": c} for c in columns], "query": {"filters": filters(affiliate_id, partner_filters)}}


def order(query: ConversionQuery) -> dict:
    """Everflow's sort arguments (query string): the portal's order fields are Everflow's names."""
    return {"order_field": query.order_field, "order_direction": "desc" if query.descending else "asc"}


def conversions(affiliate_id: int, query: ConversionQuery) -> dict:
    terms = [{"search_type": field, "value": text} for field, text in query.search_terms]
    if query.transaction_prefix:
        terms.append({"search_type": "transaction_id", "value": query.transaction_prefix})
    return {**instants(query.window.start, query.window.end), "show_conversions": query.show_conversions,
            "show_events": query.show_events, "include_test_data": query.include_test,
            "query": {"filters": filters(affiliate_id, query.filters), "search_terms": terms}}
