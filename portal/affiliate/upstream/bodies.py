"""Network API request bodies built from the partner's checked criteria, the affiliate filter always injected.

The partner's filters are Everflow's own resource types (portal.domain.criteria.FILTER_TYPES); an
`affiliate` filter never comes from the partner (parsing does not accept one, and any found is dropped
here): the only affiliate filter is the partner's upstream id, added last.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from portal.domain.criteria import ConversionQuery, Filters, Window
from portal.domain.errors import BadRequest
from portal.domain.timezones import by_iana

NETWORK_ONLY_FILTERS = frozenset({"affiliate", "advertiser", "affiliate_manager", "account_manager"})


def timezone_id(iana: str) -> int:
    """The Everflow timezone id of an IANA zone (the portal's table uses Everflow's ids where known)."""
    found = by_iana(iana)
    if found is None:
        raise BadRequest("timezone", f"{iana} is not a timezone the network's tracking platform knows")
    return found.timezone_id


def filters(affiliate_id: int, partner_filters: Filters = Filters()) -> list[dict]:
    found = [{"resource_type": kind, "filter_id_value": str(value)}
             for kind, values in partner_filters.by_type if kind not in NETWORK_ONLY_FILTERS for value in values]
    found.append({"resource_type": "affiliate", "filter_id_value": str(affiliate_id)})
    return found


def days(first: date, last: date, tz_name: str) -> dict:
    return {"from": first.isoformat(), "to": last.isoformat(), "timezone_id": timezone_id(tz_name)}


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
