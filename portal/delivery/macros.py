"""Postback URL templates: the macros partners may use, validation at save, rendering at send.

Macro values are percent-encoded as they are substituted, and macros may appear only in the path, the
query and the fragment, so that no value can change the scheme, host or port of the request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote, urlsplit

MACROS = (
    "transaction_id", "conversion_id", "offer_id", "offer_name", "affiliate_id",
    "sub1", "sub2", "sub3", "sub4", "sub5", "source_id",
    "revenue", "payout", "sale_amount", "currency", "event_name", "event_id", "order_id", "coupon_code",
    "conversion_unix_timestamp", "status", "is_test",
)
MACRO_HELP = {
    "transaction_id": "the click's transaction id",
    "conversion_id": "the conversion's id",
    "offer_id": "the offer's id",
    "offer_name": "the offer's name",
    "affiliate_id": "your affiliate id",
    "sub1": "sub1 from the click", "sub2": "sub2 from the click", "sub3": "sub3 from the click",
    "sub4": "sub4 from the click", "sub5": "sub5 from the click",
    "source_id": "source_id from the click",
    "revenue": "your earnings for this conversion (same as {payout})",
    "payout": "your earnings for this conversion (same as {revenue})",
    "sale_amount": "the sale amount",
    "currency": "the currency of the amounts",
    "event_name": "the event's name (empty for the base conversion)",
    "event_id": "the delivery's event id: the same on every retry, use it to remove duplicates",
    "order_id": "the advertiser's order id",
    "coupon_code": "the coupon code used",
    "conversion_unix_timestamp": "when the conversion happened, Unix seconds",
    "status": "approved, pending, rejected or on_hold",
    "is_test": "1 for a test conversion or a test send, else 0",
}
MAX_URL_LENGTH = 2000
ALLOWED_SCHEMES = ("http", "https")
SAFE_PORTS = (80, 443)
_MACRO = re.compile(r"\{([^{}]*)\}")


class TemplateError(ValueError):
    """A postback URL template that cannot be saved; the message says why, for the partner."""


def _port(parts) -> int | None:
    try:
        return parts.port
    except ValueError:
        raise TemplateError("postback_url: the port must be a number from 1 to 65535") from None


def validate_template(template: str, *, allow_any_port: bool = False) -> str:
    """The template, stripped, or TemplateError naming the rule it breaks."""
    if not isinstance(template, str) or not template.strip():
        raise TemplateError("postback_url: required for a server postback")
    url = template.strip()
    if len(url) > MAX_URL_LENGTH:
        raise TemplateError(f"postback_url: at most {MAX_URL_LENGTH} characters")
    if "\n" in url or "\r" in url:
        raise TemplateError("postback_url: must be one line: remove the line breaks inside it (the box only "
                            "wraps a long URL on screen)")
    if any(ord(c) < 33 or ord(c) == 127 for c in url) or "\\" in url:
        raise TemplateError("postback_url: must not contain spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. "http://[x/y": an unclosed or malformed bracketed IPv6 host
        raise TemplateError("postback_url: not a valid URL (check the host, e.g. a bracketed IPv6 address)") from None
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise TemplateError("postback_url: must start with http:// or https://")
    if "{" in parts.netloc or "}" in parts.netloc:
        raise TemplateError("postback_url: macros may appear only in the path and the query, not in the host")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise TemplateError("postback_url: must not contain a user name or password")
    if not host:
        raise TemplateError("postback_url: must name a host")
    port = _port(parts)
    if port is not None and not allow_any_port and port not in SAFE_PORTS:
        raise TemplateError("postback_url: the port must be 80 or 443 (or none)")
    unknown = sorted({name for name in _MACRO.findall(url) if name not in MACROS})
    if unknown:
        listed = ", ".join("{" + name + "}" for name in unknown)
        raise TemplateError(f"postback_url: unknown macro {listed}; see the list of macros")
    leftover = _MACRO.sub("", url)
    if "{" in leftover or "}" in leftover:
        raise TemplateError("postback_url: unbalanced { or } (macros look like {sub1})")
    return url


def render(template: str, values: Mapping[str, object]) -> str:
    """The URL with every macro replaced by its percent-encoded value (a missing value is empty).

    Raises TemplateError if the result's scheme, host or port differ from the template's, which
    percent-encoding rules out; the check stays as a second line of defence.
    """
    def value(match: re.Match) -> str:
        raw = values.get(match.group(1))
        return "" if raw is None else quote(str(raw), safe="")

    url = _MACRO.sub(value, template)
    try:
        before, after = urlsplit(template), urlsplit(url)
        moved = (before.scheme, before.hostname, _port(before)) != (after.scheme, after.hostname, _port(after))
    except ValueError:
        raise TemplateError("postback_url: not a valid URL (check the host, e.g. a bracketed IPv6 address)") from None
    if moved:
        raise TemplateError("postback_url: a macro value changed where the request goes")
    return url


def macro_table() -> list[tuple[str, str]]:
    """Postback URL macros and what each is replaced with (for the docs page and the API description)."""
    return [(name, MACRO_HELP.get(name, "")) for name in MACROS]
