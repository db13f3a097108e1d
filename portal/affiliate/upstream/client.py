"""The HTTP client of upstream mode: one session per process, a deadline per answer, retries, the budget.

Every call has one deadline, PORTAL_UPSTREAM_TIMEOUT seconds from its start, that covers connecting,
reading, waiting for the shared budget, backing off and retrying: a partner's page never waits longer
than that for the tracking platform. A 429, 502, 503 or 504 and a connection error or timeout are tried
again (at most PORTAL_UPSTREAM_RETRIES more times) after an exponential backoff, or after the answer's
`Retry-After` when it gives one; when the next try would start past the deadline the call fails at once
with UpstreamUnavailable, carrying the Retry-After the partner should honour. A write that creates
(`create`, a POST that is not idempotent) is tried again only when nothing reached the upstream (a
connection that never opened) or on a 429 (refused, not processed): a 5xx or a read timeout may have
created the object already, and a second try would create it twice. The answer's body is read in
chunks (read_body) with the deadline checked between chunks, so an upstream trickling bytes is cut off
too, and at most MAX_BODY_BYTES of it. A 404 is "no such object" (None) for a GET, PUT or DELETE by
id; a 404 on a POST (a list, search or report) means the path is wrong, never "nothing found":
UpstreamRefused, like any other 4xx or an answer that is not JSON (a 502, with a clear message).

The budget (PORTAL_UPSTREAM_REQUESTS_PER_SECOND) is one moving window spent through
portal.http.ratelimit, in Redis when PORTAL_REDIS_URL is set (shared by every process and host), else in
this process. Each try spends one unit. Reference data (offers, timezones) may be kept for a few seconds
(`cache=True`); figures never are.

The network key is sent in X-Eflow-API-Key and never logged: log lines name the method, the path and
the status only.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import requests
import urllib3
from limits import parse
from limits.strategies import RateLimiter

from portal.domain.errors import UpstreamRefused, UpstreamUnavailable
from portal.http import ratelimit
from portal.http.ratelimit import Budget

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 502, 503, 504})
FIRST_BACKOFF = 0.25  # seconds before the first retry; doubles each time
CONNECT_TIMEOUT = 3.0  # at most this for the TCP and TLS handshake of one try (the deadline still rules)
CACHE_SECONDS = 30.0
CACHE_ENTRIES = 256
MAX_ERROR_TEXT = 200  # of an upstream's {"error"} repeated in a message
MAX_BODY_BYTES = 64 * 1024 * 1024  # a 2,000-row conversions page is ~2 MB: far above any real answer
CHUNK_BYTES = 64 * 1024

_session: requests.Session | None = None
_session_lock = threading.Lock()


def session() -> requests.Session:
    """The process's one Session (its connection pool is reused by every call and thread)."""
    global _session
    with _session_lock:
        if _session is None:
            _session = requests.Session()
            _session.headers.update({"Accept": "application/json", "User-Agent": "partner-portal-upstream"})
        return _session


@dataclass(frozen=True)
class Settings:
    base_url: str
    api_key: str
    timeout: float
    retries: int
    per_second: int
    key_prefix: str = ""

    @classmethod
    def from_config(cls, config) -> Settings:
        return cls(config["UPSTREAM_URL"], config["UPSTREAM_API_KEY"], float(config["UPSTREAM_TIMEOUT"]),
                   int(config["UPSTREAM_RETRIES"]), int(config["UPSTREAM_REQUESTS_PER_SECOND"]),
                   config.get("RATELIMIT_KEY_PREFIX") or "")

    def __repr__(self) -> str:  # the key never appears in a traceback or a log line
        return f"Settings(base_url={self.base_url!r}, timeout={self.timeout}, retries={self.retries})"


class ReferenceCache:
    """A few seconds of reference data, bounded (least recently used out first), per process."""

    def __init__(self, seconds: float = CACHE_SECONDS, entries: int = CACHE_ENTRIES) -> None:
        self.seconds, self.entries = seconds, entries
        self._items: OrderedDict[str, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[bool, object]:
        with self._lock:
            found = self._items.get(key)
            if found is None or found[0] < time.monotonic():
                self._items.pop(key, None)
                return False, None
            self._items.move_to_end(key)
            return True, found[1]

    def put(self, key: str, value: object) -> None:
        with self._lock:
            self._items[key] = (time.monotonic() + self.seconds, value)
            self._items.move_to_end(key)
            while len(self._items) > self.entries:
                self._items.popitem(last=False)


REFERENCE_CACHE = ReferenceCache()


class UpstreamClient:
    """Calls to one upstream network API; build one per request (cheap) from the app's settings."""

    def __init__(self, settings: Settings, strategy: RateLimiter | None, *,
                 sleep: Callable[[float], None] = time.sleep, cache: ReferenceCache = REFERENCE_CACHE) -> None:
        self.settings = settings
        self._strategy = strategy  # Flask-Limiter's moving window (memory or Redis); None: no budget
        self._budget = Budget(parse(f"{settings.per_second} per 1 second"),
                              tuple(p for p in (settings.key_prefix, "upstream", settings.base_url) if p))
        self._sleep = sleep
        self._cache = cache

    def get(self, path: str, params: dict | None = None, *, cache: bool = False) -> dict | None:
        return self.call("GET", path, params=params, cache=cache)

    def post(self, path: str, body: dict, params: dict | None = None, *, cache: bool = False) -> dict | None:
        """A POST that reads (a list, search, report or link): safe to try again."""
        return self.call("POST", path, body=body, params=params, cache=cache)

    def create(self, path: str, body: dict) -> dict | None:
        """A POST that creates: tried again only when the upstream cannot have received it (see above)."""
        return self.call("POST", path, body=body, idempotent=False)

    def put(self, path: str, body: dict) -> dict | None:
        return self.call("PUT", path, body=body)

    def delete(self, path: str) -> dict | None:
        return self.call("DELETE", path)

    def call(self, method: str, path: str, *, body: dict | None = None, params: dict | None = None,
             cache: bool = False, idempotent: bool = True) -> dict | None:
        """The JSON object the upstream answered, None for a 404; UpstreamUnavailable or UpstreamRefused."""
        cache_key = (json.dumps([self.settings.base_url, method, path, params, body], sort_keys=True, default=str)
                     if cache else "")
        if cache:
            hit, value = self._cache.get(cache_key)
            if hit:
                return value
        value = self._call(method, path, body, params, idempotent)
        if cache:
            self._cache.put(cache_key, value)
        return value

    def _call(self, method: str, path: str, body: dict | None, params: dict | None,
              idempotent: bool = True) -> dict | None:
        deadline = time.monotonic() + self.settings.timeout
        response = self._send(method, path, body, params, deadline, idempotent)
        return _answer(method, path, response, read_body(response, deadline))

    def stream(self, method: str, path: str, body: dict | None = None, params: dict | None = None,
               accept: str | None = None) -> requests.Response | None:
        """A 2xx answer whose body is still to be read, or None when the upstream has no such endpoint (404 or
        405); anything else fails as call() does. The headers arrive within the deadline; then each read of
        the body waits at most what was left of it (a big export outlasts one call's deadline). `accept`
        replaces the Accept header (the caller reads the answer's Content-Type). The caller closes the
        response."""
        deadline = time.monotonic() + self.settings.timeout
        response = self._send(method, path, body, params, deadline, accept=accept)
        if 200 <= response.status_code < 300:
            return response
        if response.status_code in (404, 405):
            response.close()
            log.info("upstream %s %s: %s (no such endpoint)", method, path, response.status_code)
            return None
        _answer(method, path, response, read_body(response, deadline))
        raise UpstreamRefused("The network's tracking platform sent an answer this portal cannot read")

    def _send(self, method: str, path: str, body: dict | None, params: dict | None, deadline: float,
              idempotent: bool = True, accept: str | None = None) -> requests.Response:
        """The first answer not worth trying again (its body still to be read), within the deadline and the
        budget. A write that is not idempotent is tried again only when it cannot have been processed: a
        connection never opened, or a 429."""
        url = self.settings.base_url + path
        headers = {"X-Eflow-API-Key": self.settings.api_key, **({"Accept": accept} if accept else {})}
        retry_after = None
        for attempt in range(self.settings.retries + 1):
            if attempt:
                pause = retry_after if retry_after is not None else FIRST_BACKOFF * 2 ** (attempt - 1)
                if time.monotonic() + pause >= deadline:
                    break
                self._sleep(pause)
            self._spend(deadline)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                response = session().request(method, url, json=body, params=params, headers=headers,
                                             timeout=(min(CONNECT_TIMEOUT, remaining), remaining),
                                             allow_redirects=False, stream=True)
            except (requests.ConnectionError, requests.Timeout) as err:
                log.warning("upstream %s %s: %s", method, path, type(err).__name__)
                retry_after = None
                if not idempotent and not _nothing_sent(err):
                    break  # it may have been created: never send it twice
                continue
            if response.status_code in RETRY_STATUSES:
                retry_after = _retry_after(response)
                log.warning("upstream %s %s: %s", method, path, response.status_code)
                response.close()
                if not idempotent and response.status_code != 429:
                    break
                continue
            return response
        raise UpstreamUnavailable(retry_after or max(1, round(self.settings.timeout)))

    def _spend(self, deadline: float) -> None:
        """One unit of the upstream's budget, waiting for it while the deadline allows."""
        if self._strategy is None:
            return
        while True:
            outcome = ratelimit.spend(self._strategy, [self._budget])
            if outcome.spent:
                return
            wait = max(0.05, min(1.0, outcome.binding.reset or 1))
            if time.monotonic() + wait >= deadline:
                raise UpstreamUnavailable(max(1, outcome.binding.reset))
            self._sleep(wait)


def read_body(response: requests.Response, deadline: float, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body of a response asked for with stream=True, read chunk by chunk (as it arrives, decoded) with
    the deadline (time.monotonic()) checked between chunks: UpstreamUnavailable past it, UpstreamRefused
    beyond `limit` bytes. Streamed readers of big answers (exports) read their own chunks the same way."""
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in iter_chunks(response, deadline):
            size += len(chunk)
            if size > limit:
                raise UpstreamRefused("The network's tracking platform sent an answer too large to read")
            chunks.append(chunk)
    finally:
        response.close()
    return b"".join(chunks)


def iter_chunks(response: requests.Response, deadline: float) -> Iterator[bytes]:
    """A streamed response's body as it arrives (what one socket read gives, at most CHUNK_BYTES), failing
    with UpstreamUnavailable once the deadline has passed; the caller closes the response."""
    sock = getattr(getattr(response.raw, "_connection", None), "sock", None)  # urllib3 2's connection
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            log.warning("upstream answer still arriving at the deadline")
            raise UpstreamUnavailable(1)
        try:
            if sock is not None:
                sock.settimeout(left)  # one stalled read ends at the deadline too (urllib3 resets it per request)
            chunk = response.raw.read1(CHUNK_BYTES, decode_content=True)
        except (requests.RequestException, OSError, urllib3.exceptions.HTTPError) as err:
            log.warning("upstream answer cut off: %s", type(err).__name__)
            raise UpstreamUnavailable(1) from err
        if not chunk:
            return
        yield chunk


def _nothing_sent(err: Exception) -> bool:
    """Whether a failed try never reached the upstream (the connection was never opened)."""
    if isinstance(err, requests.ConnectTimeout):
        return True
    seen, cause = 0, err
    while cause is not None and seen < 10:
        if isinstance(cause, urllib3.exceptions.NewConnectionError):
            return True
        cause = getattr(cause, "reason", None) or (cause.args[0] if cause.args and
                                                   isinstance(cause.args[0], BaseException) else None)
        seen += 1
    return False


def _retry_after(response: requests.Response) -> float | None:
    """Retry-After in seconds (HTTP dates are rare from APIs and read as absent)."""
    raw = response.headers.get("Retry-After", "").strip()
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if 0 <= value <= 86_400 else None


def _answer(method: str, path: str, response: requests.Response, content: bytes) -> dict | None:
    status = response.status_code
    if status == 404 and method != "POST":
        return None
    if 200 <= status < 300:
        if status == 204 or not content:
            return {}
        try:
            value = json.loads(content)
        except (ValueError, RecursionError):
            value = None
        if not isinstance(value, dict):
            log.error("upstream %s %s: %s answer that is not a JSON object", method, path, status)
            raise UpstreamRefused("The network's tracking platform sent an answer this portal cannot read")
        return value
    log.error("upstream %s %s: %s", method, path, status)
    if status == 404:
        raise UpstreamRefused("The network's tracking platform does not serve this list (HTTP 404); "
                              "ask the network to check PORTAL_UPSTREAM_URL")
    if status in (401, 403):
        raise UpstreamRefused("The network's tracking platform refused this portal's network key; "
                              "ask the network to check PORTAL_UPSTREAM_API_KEY")
    if 400 <= status < 500:
        raise UpstreamRefused(f"The network's tracking platform refused the request: {_error_text(content, status)}")
    raise UpstreamUnavailable(_retry_after(response) or 30)


def _error_text(content: bytes, status: int) -> str:
    try:
        found = json.loads(content)
    except (ValueError, RecursionError):
        found = None
    text = found.get("error") if isinstance(found, dict) else None
    if not isinstance(text, str) or not text.strip():
        return f"HTTP {status}"
    text = "".join(c for c in text if c.isprintable())
    return text[:MAX_ERROR_TEXT]
