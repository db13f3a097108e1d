"""Where a saved postback would send, judged when it is saved by the same address policy the sender applies
at send time (portal.delivery.http and portal.delivery.addresses), so that the two can never disagree.

Two answers, because they differ in how sure they can be:

* `refusal`: the URL's host is an IP literal in a refused range (loopback, private, link-local, …) or a
  private name (localhost, *.internal, …). Every send to it would be refused, whatever happens later, so
  saving it is refused too, with the reason: a postback that can never fire only misleads the partner.
* `warning`: the host is a DNS name that today does not resolve, or resolves to a refused address. DNS
  changes (a partner may save the postback before pointing the name at their tracker, or move it), and the
  send-time check is the one that counts, so the postback is saved and the partner is told plainly.

With private destinations allowed (POSTBACK_ALLOW_PRIVATE_DESTINATIONS, for tests and local development)
nothing is refused, and only a name that does not resolve gets a warning.
"""

from __future__ import annotations

from portal.delivery.addresses import parse_literal, refusal_reason
from portal.delivery.http import Refused, is_private_name, parse_destination, vetted_address

LOOKUP_SECONDS = 2.0  # a save waits at most this long for the name lookup behind its warning
PUBLIC_ONLY = "postbacks are sent to public internet addresses only"


def refusal(url: str, *, allow_private: bool) -> str | None:
    """Why no send to this (already validated) URL template could ever be made, or None."""
    host = _host(url)
    if host is None or allow_private:
        return None
    literal = parse_literal(host)
    if literal is not None:
        reason = refusal_reason(literal)
        return f"the address is refused ({reason}); {PUBLIC_ONLY}" if reason else None
    if is_private_name(host):
        return f"{host} is a private name; {PUBLIC_ONLY}"
    return None


def warning(url: str, *, allow_private: bool, timeout: float = LOOKUP_SECONDS) -> str | None:
    """What a lookup of the URL's host says today about sending there, or None when all is well."""
    try:
        destination = parse_destination(url)
    except Refused:
        return None  # the template's own checks speak for its shape
    if parse_literal(destination.host) is not None:
        return None  # nothing to look up: refusal() has judged it
    try:
        vetted_address(destination, allow_private=allow_private, timeout=timeout)
    except Refused as refused:
        if refused.error_class == "blocked":
            return (f"{refused}, so every send will be refused until it points at a public address: "
                    f"{PUBLIC_ONLY}.")
        if refused.error_class == "timeout":
            return f"{refused}; sends will fail while the name server does not answer."
        return f"{refused}, so sends will fail until it does: check the host name."
    return None


def _host(url: str) -> str | None:
    try:
        return parse_destination(url).host
    except Refused:
        return None
