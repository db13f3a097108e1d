"""The base URL tracking links and impression URLs are built on, the same for the pages and the API."""

from __future__ import annotations

from collections.abc import Mapping


def tracking_base_url(config: Mapping, host_url: str) -> str:
    """PORTAL_TRACKING_BASE_URL, else PORTAL_PUBLIC_BASE_URL, else the request's own scheme and host."""
    base = config.get("TRACKING_BASE_URL") or config.get("PUBLIC_BASE_URL") or host_url
    return base.rstrip("/")
