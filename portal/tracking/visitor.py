"""Who clicked: the visitor's address, browser and place, and the link's parameters, read from the request."""

from __future__ import annotations

import ipaddress
import re

from flask import current_app
from werkzeug.wrappers import Request

from portal.domain.tracking_links import LINK_PARAMETERS
from portal.http.user_agents import classify
from portal.services.clicks import Visit
from portal.tracking.geoip import locate

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def client_ip(request: Request) -> str | None:
    """request.remote_addr (ProxyFix has applied PORTAL_TRUSTED_PROXY_HOPS), IPv4-mapped IPv6 as IPv4."""
    raw = (request.remote_addr or "").split("%", 1)[0]
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def _header(request: Request, name: str) -> str:
    # Header values arrive as Latin-1 text; control characters are not worth keeping (nor storable as NUL).
    return _CONTROL.sub("", request.headers.get(name, ""))


def visit_of(request: Request) -> Visit:
    config = current_app.config
    ip = client_ip(request)
    country_header = config.get("GEOIP_COUNTRY_HEADER")
    place = locate(ip, config.get("GEOIP_DATABASE"),
                   request.headers.get(country_header) if country_header else None)
    user_agent = _header(request, "User-Agent")
    agent = classify(user_agent)
    args = request.args
    params = {name: args[name] for name in LINK_PARAMETERS if name in args}
    return Visit(ip=ip, user_agent=user_agent, referer=_header(request, "Referer") or None,
                 country=place.country, region=place.region, city=place.city, device=agent.device,
                 platform=agent.platform, browser=agent.browser, params=params)
