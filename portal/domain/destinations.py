"""Filling a landing page's macros at click time, and checking a partner's deep link (on the offer's own site).

Values go in percent-encoded (every reserved character, `/` too) and only after the host part, so no
sub id, however crafted, can change the scheme, host or port a click is sent to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, urlsplit

from portal.domain.tracking_links import DESTINATION_MACROS, MAX_DEEP_LINK_LENGTH

_MACRO = re.compile(r"\{(" + "|".join(DESTINATION_MACROS) + r")\}")
_AUTHORITY_END = re.compile(r"[/?#]")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_PLAIN_HOST = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")
_IPV4 = re.compile(r"[0-9.]+")


def split_after_host(url: str) -> tuple[str, str]:
    """(scheme://host[:port], the rest): macros are filled only in the rest."""
    start = url.find("://")
    start = start + 3 if start >= 0 else 0
    end = _AUTHORITY_END.search(url, start)
    return (url, "") if end is None else (url[:end.start()], url[end.start():])


def fill(template: str, values: Mapping[str, object]) -> str:
    """The landing page URL with each known macro replaced by its encoded value (missing: empty)."""
    head, rest = split_after_host(template)

    def value(match: re.Match) -> str:
        raw = values.get(match.group(1))
        return "" if raw is None else quote(str(raw), safe="")

    return head + _MACRO.sub(value, rest)


def site_of(url: str) -> str | None:
    """The site an http(s) URL points at: its host lowercased and IDNA-encoded (an IPv6 one in brackets), with
    ":port" when the port is not the scheme's default; None when there is no plain host, or the URL carries
    a user name or a backslash (browsers read those differently from us)."""
    if "\\" in url:
        return None
    try:
        parts = urlsplit(url)
        host, port, scheme = parts.hostname, parts.port, parts.scheme.lower()
        # Encoded as given, then the trailing dot dropped: "shop.example.." has an empty label no URI can carry.
        host = host.encode("idna").decode("ascii").rstrip(".").lower() if host else None
    except (ValueError, UnicodeError):  # a malformed port or IPv6 host, or a label IDNA cannot encode
        return None
    if scheme not in _DEFAULT_PORTS or not host or "@" in parts.netloc:
        return None
    if ":" in host:
        host = f"[{host}]"
    elif not _PLAIN_HOST.fullmatch(host):  # "%2f", "{macro}", …: nothing a browser resolves the way we read it
        return None
    return host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"


def _host_and_port(site: str) -> tuple[str, str]:
    if site.startswith("["):
        end = site.index("]")
        return site[:end + 1], site[end + 2:]
    host, _, port = site.partition(":")
    return host, port


def _within(site: str, allowed: str) -> bool:
    """The same host and port, or a subdomain of the allowed host (never of an IP address) on the same port."""
    if site == allowed:
        return True
    (host, port), (allowed_host, allowed_port) = _host_and_port(site), _host_and_port(allowed)
    if port != allowed_port or allowed_host.startswith("[") or _IPV4.fullmatch(allowed_host):
        return False
    return host.endswith("." + allowed_host)


def offer_sites(destination_url: str, landing_pages: Iterable[str]) -> frozenset[str]:
    """The sites a deep link may go to: those of the offer's destination URL and of its landing pages."""
    return frozenset(filter(None, map(site_of, (destination_url, *landing_pages))))


def deep_link_problem(url: object, sites: Iterable[str]) -> str | None:
    """Why `url` cannot be a deep link for an offer whose landing pages are on `sites` (site_of values);
    None when it can: a plain absolute http(s) URL on one of those sites or a subdomain of one. The one rule
    the link builder and the tracker both apply: anything else would make the tracker an open redirect."""
    if (not isinstance(url, str) or not url or len(url) > MAX_DEEP_LINK_LENGTH
            or any(ord(c) < 33 or ord(c) == 127 or 0xD800 <= ord(c) <= 0xDFFF for c in url)):
        return f"an http(s) URL of at most {MAX_DEEP_LINK_LENGTH} characters, without spaces or control characters"
    site = site_of(url)
    if site is None:
        return "an http(s) URL with a host, without a user name or backslashes"
    allowed = sorted(set(sites))
    if not any(_within(site, one) for one in allowed):
        return "must be on the offer's own site: " + (", ".join(allowed) or "(none)")
    return None


def deep_link(url: str | None, sites: Iterable[str]) -> str | None:
    """The partner's `url=` when deep_link_problem finds none, else None (the tracker then ignores it)."""
    return url if deep_link_problem(url, sites) is None else None
