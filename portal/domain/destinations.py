"""Filling a landing page's macros at click time, and checking a partner's deep link.

Values go in percent-encoded (every reserved character, `/` too) and only after the host part, so no
sub id, however crafted, can change the scheme, host or port a click is sent to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote, urlsplit

from portal.domain.tracking_links import DESTINATION_MACROS, MAX_DEEP_LINK_LENGTH

_MACRO = re.compile(r"\{(" + "|".join(DESTINATION_MACROS) + r")\}")
_AUTHORITY_END = re.compile(r"[/?#]")


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


def deep_link(url: str | None) -> str | None:
    """The partner's `url=` when it is a plain absolute http(s) URL with a host, else None."""
    if not url or len(url) > MAX_DEEP_LINK_LENGTH:
        return None
    if any(ord(c) < 33 or ord(c) == 127 or 0xD800 <= ord(c) <= 0xDFFF for c in url) or "\\" in url:
        return None
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host or "@" in parts.netloc:
        return None
    return url
