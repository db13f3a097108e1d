"""Upstream mode's settings (PORTAL_UPSTREAM_*): partners' data from an Everflow-compatible network API."""

from __future__ import annotations

from typing import Any

from portal.config.kinds import FLOAT, INT, STR, ConfigError

DEFAULTS: dict[str, Any] = {
    # Upstream mode: partners' data comes from an Everflow-compatible network API (another portal's
    # /v1/networks, or Everflow itself) called with a network key; unset, this app's own tables answer.
    "UPSTREAM_URL": None,  # such as https://api.eflow.team (the /v1/networks/... paths are added)
    "UPSTREAM_API_KEY": None,  # a network key, sent in X-Eflow-API-Key; required with UPSTREAM_URL
    "UPSTREAM_TIMEOUT": 10.0,  # seconds for one answer, retries included (connect and read of each call)
    "UPSTREAM_RETRIES": 2,  # further tries after a 429, 502, 503, 504 or a connection error
    "UPSTREAM_REQUESTS_PER_SECOND": 20,  # the upstream's budget, shared by every process (Redis when set)
}

ENV_TYPES: dict[str, str] = {
    "UPSTREAM_URL": STR,
    "UPSTREAM_API_KEY": STR,
    "UPSTREAM_TIMEOUT": FLOAT,
    "UPSTREAM_RETRIES": INT,
    "UPSTREAM_REQUESTS_PER_SECOND": INT,
}


def finalise(config: dict[str, Any]) -> None:
    """The upstream network API: a URL and its key together, sane timeout, retries and budget. The key is
    a secret: no message here (or anywhere) repeats it."""
    url, key = config.get("UPSTREAM_URL"), config.get("UPSTREAM_API_KEY")
    if url is not None:
        if (not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > 2000
                or any(c in url for c in "?#{} \t\n\r") or not url.split("://", 1)[1].strip("/")):
            raise ConfigError("PORTAL_UPSTREAM_URL must be an http:// or https:// URL without a query, such as "
                              f"https://api.eflow.team; got {url!r}")
        url = url.rstrip("/")
        if url.lower().endswith(("/v1", "/v1/networks")):
            # The client adds /v1/networks/... itself: a URL ending in /v1 would ask for /v1/v1/networks/...,
            # which answers 404 on every call. Refused rather than stripped, so the setting reads as it works.
            raise ConfigError("PORTAL_UPSTREAM_URL is the API's base URL without /v1 (this portal adds "
                              f"/v1/networks/...), such as https://api.eflow.team; got {url!r}")
        config["UPSTREAM_URL"] = url
        if not key or not isinstance(key, str) or not key.strip() or not key.isprintable():
            raise ConfigError("PORTAL_UPSTREAM_API_KEY is required with PORTAL_UPSTREAM_URL: a network API key "
                              "of the upstream, sent in X-Eflow-API-Key")
    elif key:
        raise ConfigError("PORTAL_UPSTREAM_API_KEY is set without PORTAL_UPSTREAM_URL: set both, or neither")
    timeout = config["UPSTREAM_TIMEOUT"]
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 120:
        raise ConfigError(f"PORTAL_UPSTREAM_TIMEOUT must be a number of seconds above 0 and at most 120; "
                          f"got {timeout!r}")
    for name, low, high in (("UPSTREAM_RETRIES", 0, 10), ("UPSTREAM_REQUESTS_PER_SECOND", 1, 10_000)):
        value = config[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(f"PORTAL_{name} must be a whole number from {low} to {high}; got {value!r}")
