"""The response headers every page carries (CSP with frame-ancestors, no sniffing, no framing), for the doors
that answer without Flask's response hooks (the tracker) as for those that use them (web.security)."""

from __future__ import annotations

from collections.abc import Mapping

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000"


def security_headers(config: Mapping) -> dict[str, str]:
    """The headers, with HSTS when the portal is served over HTTPS (secure session cookies)."""
    headers = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Frame-Options": "DENY",
               "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
    if config["SESSION_COOKIE_SECURE"]:
        headers["Strict-Transport-Security"] = HSTS
    return headers
