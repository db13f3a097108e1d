"""Response headers every page carries: CSP with frame-ancestors, no sniffing, no framing
(portal.http.security_headers, shared with the tracker's door)."""

from __future__ import annotations

from flask import Flask

from portal.http.security_headers import security_headers

# For responses that carry a secret (an API key): never kept by the browser or a proxy.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def init_app(app: Flask) -> None:
    @app.after_request
    def set_security_headers(response):
        for name, value in security_headers(app.config).items():
            response.headers.setdefault(name, value)
        return response
