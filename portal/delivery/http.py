"""Outbound postback requests that cannot be turned against the network's own infrastructure (SSRF).

The URL is parsed once; that parsed destination is what gets checked and what gets connected to. The
host is resolved once with getaddrinfo, the request is refused if ANY address is not public, and the
connection is made to the vetted address itself, so a second lookup (DNS rebinding) never happens. The
Host header, TLS SNI and certificate check still use the name from the URL. No redirects are followed,
no proxy from the environment is used, and only http/https on ports 80/443 are allowed (any port when
private destinations are allowed, which is for tests and local development only).

The total timeout is a wall-clock deadline for the whole send: the lookup runs on a thread that is waited
for no longer than the time left, and a timer shuts the connection down when the deadline passes, so a
server that drips its answer a byte at a time (each read well within the socket timeout) is cut off.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from socket import getaddrinfo  # tests replace this name in this module only
from urllib.parse import SplitResult, quote, urlsplit

import urllib3
from urllib3.exceptions import ProtocolError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from portal.delivery import failures
from portal.delivery.addresses import parse_literal, refusal_reason
from portal.delivery.deadlines import Deadline, pool_manager
from portal.models.base import utcnow

ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_BODY_BYTES = 64 * 1024  # read at most this much of an answer, then hang up
EXCERPT_BYTES = 2048  # keep this much of it in the delivery log
MAX_URL_LENGTH = 8192
USER_AGENT = "PartnerPortal-Postback/1.0"
# Names that never point at the public internet (RFC 6761, RFC 8375, ICANN's .internal, mDNS), refused
# before any lookup so that a resolver that knows them cannot matter.
_PRIVATE_NAME_SUFFIXES = ("localhost", "local", "internal", "home.arpa", "localdomain")
# Letters, digits, hyphens (and underscores, which some DNS names carry) in dot-separated labels.
_HOST_NAME = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*")
# Printable ASCII stays as it is; anything else left in a path or query is percent-encoded.
_SAFE_TARGET_CHARS = "".join(chr(c) for c in range(33, 127))


@dataclass(frozen=True)
class SendResult:
    """What happened to one request, in the words of the delivery log (PostbackAttempt)."""

    outcome: str  # delivered, failed, blocked (refused before any connection)
    started_at: datetime
    status_code: int | None = None
    latency_ms: int | None = None
    resolved_ip: str | None = None
    error_class: str | None = None  # timeout, blocked, dns, tls, connection, redirect, http, invalid_url
    error: str | None = None
    excerpt: str | None = None
    retry_after: str | None = None  # the raw Retry-After header of a failed answer


@dataclass(frozen=True)
class SendSettings:
    """The config a send needs, captured once so worker threads never touch the app."""

    allow_private: bool = False
    connect_timeout: float = 3.0
    total_timeout: float = 10.0

    @classmethod
    def from_config(cls, config) -> SendSettings:
        return cls(allow_private=bool(config["POSTBACK_ALLOW_PRIVATE_DESTINATIONS"]),
                   connect_timeout=float(config["POSTBACK_CONNECT_TIMEOUT"]),
                   total_timeout=float(config["POSTBACK_TOTAL_TIMEOUT"]))


class Refused(Exception):
    """The request may not be made; error_class says which rule refused it."""

    def __init__(self, error_class: str, message: str) -> None:
        super().__init__(message)
        self.error_class = error_class

    @classmethod
    def of(cls, failure: failures.Failure) -> Refused:
        return cls(*failure)


@dataclass(frozen=True)
class Destination:
    """A parsed, checked URL: everything the connection and the request are built from."""

    scheme: str
    host: str  # ASCII (IDNA) name or canonical IP literal, no brackets
    port: int
    target: str  # path and query, as sent on the request line
    host_header: str


def parse_destination(url: str) -> Destination:
    """Parse and check the shape of a rendered postback URL; raise Refused naming the rule it breaks.

    The port is checked separately (check_port), after the address, so the log names the worse problem.
    """
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise Refused("invalid_url", "the URL is empty or too long")
    if any(ord(c) < 33 or ord(c) == 127 for c in url) or "\\" in url:
        raise Refused("invalid_url", "the URL contains spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as err:
        raise Refused("invalid_url", f"the URL cannot be parsed: {err}") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise Refused("blocked", f"the scheme {scheme or '(none)'!r} is not allowed; use http or https")
    if "@" in parts.netloc:
        raise Refused("invalid_url", "the URL must not contain a user name or password")
    host = _ascii_host(parts)
    port = port if port is not None else DEFAULT_PORTS[scheme]
    target = quote(parts.path or "/", safe=_SAFE_TARGET_CHARS)
    if parts.query:
        target += "?" + quote(parts.query, safe=_SAFE_TARGET_CHARS)
    literal = parse_literal(host)
    shown = f"[{host}]" if literal is not None and literal.version == 6 else host
    host_header = shown if port == DEFAULT_PORTS[scheme] else f"{shown}:{port}"
    return Destination(scheme=scheme, host=host, port=port, target=target, host_header=host_header)


def check_port(destination: Destination, *, allow_any_port: bool) -> None:
    if not allow_any_port and destination.port not in DEFAULT_PORTS.values():
        raise Refused("blocked", f"port {destination.port} is not allowed; use 80 or 443")


def _ascii_host(parts: SplitResult) -> str:
    """The host as the resolver and TLS will see it: IDNA-encoded (so 127。0。0。1 is 127.0.0.1)."""
    host = parts.hostname
    if not host:
        raise Refused("invalid_url", "the URL must name a host")
    if "%" in host:
        raise Refused("blocked", "IPv6 zone identifiers are not allowed")
    if parse_literal(host) is not None:
        return str(parse_literal(host))
    try:
        ascii_host = host.encode("idna").decode("ascii").rstrip(".").lower()
    except UnicodeError:
        raise Refused("invalid_url", f"the host {host!r} is not a valid name") from None
    if not _HOST_NAME.fullmatch(ascii_host):
        raise Refused("invalid_url", f"the host {host!r} is not a valid name")
    return ascii_host


def vetted_address(destination: Destination, *, allow_private: bool, timeout: float | None = None) -> str:
    """Resolve once (within `timeout` seconds); every address must be allowed. Returns the one to connect to."""
    host = destination.host
    literal = parse_literal(host)
    if literal is None and not allow_private and is_private_name(host):
        raise Refused("blocked", f"{host} is a private name")
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = _lookup(host, destination.port, timeout)
        except (socket.gaierror, UnicodeError) as err:
            raise Refused.of(failures.unresolvable(host, err)) from None
        # Numeric forms such as 2130706433, 0x7f000001 or 127.1 resolve here and are judged as addresses.
        addresses = [parse_literal(info[4][0].split("%")[0]) for info in infos]
        if not addresses or any(address is None for address in addresses):
            raise Refused.of(failures.no_usable_address(host))
    if not allow_private:
        for address in addresses:
            reason = refusal_reason(address)
            if reason is not None:
                said = "the address is refused" if literal is not None else f"{host} resolves to a refused address"
                raise Refused("blocked", f"{said}: {reason}")
    return str(addresses[0])


def is_private_name(host: str) -> bool:
    """A name that never points at the public internet (localhost, *.local, *.internal, …)."""
    return any(host == suffix or host.endswith("." + suffix) for suffix in _PRIVATE_NAME_SUFFIXES)


def _lookup(host: str, port: int, timeout: float | None) -> list:
    """getaddrinfo, waited for at most `timeout` seconds (the resolver's own timeouts can be far longer).

    Each lookup has a daemon thread of its own, so a destination whose DNS hangs holds up no other lookup;
    a thread left behind ends when the resolver gives up.
    """
    if timeout is None:
        return getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    if timeout <= 0:
        raise Refused.of(failures.lookup_timed_out(host, 0))
    answer: list = []
    resolve = getaddrinfo  # this module's name, looked up now (tests replace it)

    def run() -> None:
        try:
            answer.append((resolve(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP), None))
        except BaseException as err:  # handed to the waiting thread
            answer.append((None, err))

    thread = threading.Thread(target=run, name="postback-dns", daemon=True)
    thread.start()
    thread.join(timeout)
    if not answer:
        raise Refused.of(failures.lookup_timed_out(host, timeout))
    infos, err = answer[0]
    if err is not None:
        raise err
    return infos


def send(url: str, settings: SendSettings) -> SendResult:
    """GET the URL once under the SSRF rules; never raises for anything the destination does."""
    started_at, clock = utcnow(), time.monotonic()
    try:
        destination = parse_destination(url)
        ip = vetted_address(destination, allow_private=settings.allow_private,
                            timeout=clock + settings.total_timeout - time.monotonic())
        check_port(destination, allow_any_port=settings.allow_private)
    except Refused as refused:
        if refused.error_class == "timeout":  # said in the words of the whole send's limit
            refused = Refused.of(failures.lookup_timed_out(destination.host, settings.total_timeout))
        outcome = "failed" if refused.error_class in ("dns", "timeout") else "blocked"
        return SendResult(outcome, started_at, error_class=refused.error_class, error=str(refused))
    deadline = Deadline(clock + settings.total_timeout - time.monotonic())
    try:
        with deadline:
            return _request(destination, ip, settings, started_at, clock, deadline)
    except Exception as err:
        if deadline.expired:  # whatever the shut-down connection raised, it was the total timeout
            return _failure(started_at, clock, ip, *failures.out_of_time(settings.total_timeout))
        return _failure(started_at, clock, ip, *failures.request_failed(
            err, host=destination.host, ip=ip, port=destination.port, connect_timeout=settings.connect_timeout,
            total_timeout=settings.total_timeout))


def _request(destination: Destination, ip: str, settings: SendSettings, started_at: datetime,
             clock: float, deadline: Deadline) -> SendResult:
    pool_kwargs = {}
    if destination.scheme == "https":
        pool_kwargs = {"server_hostname": destination.host, "assert_hostname": destination.host}
    pool = pool_manager().connection_from_host(ip, destination.port, destination.scheme, pool_kwargs)
    response = pool.urlopen(
        "GET", destination.target,
        headers={"Host": destination.host_header, "User-Agent": USER_AGENT, "Accept": "*/*",
                 "Accept-Encoding": "identity"},
        redirect=False, retries=False, assert_same_host=False, preload_content=False, decode_content=False,
        timeout=urllib3.Timeout(connect=settings.connect_timeout, total=settings.total_timeout),
    )
    try:
        body, complete = _read_capped(response, deadline=clock + settings.total_timeout)
        if deadline.expired:  # the end of the body may only be the connection being shut down
            raise TimeoutError("total timeout")
    except (Urllib3Timeout, TimeoutError, ProtocolError, OSError) as err:
        response.close()
        response.release_conn()
        timed_out = deadline.expired or isinstance(err, (Urllib3Timeout, TimeoutError))
        failure = (failures.out_of_time(settings.total_timeout) if timed_out
                   else failures.broke_while_reading(ip, destination.port))
        return _failure(started_at, clock, ip, *failure, response.status)
    if not complete:
        response.close()  # the rest is never read: hang up rather than keep a half-read connection
    response.release_conn()  # after close(), so no other thread can pick up a half-read connection
    latency_ms = _elapsed_ms(clock)
    excerpt = body[:EXCERPT_BYTES].decode("utf-8", errors="replace")
    status = response.status
    if 200 <= status < 300:
        return SendResult("delivered", started_at, status, latency_ms, ip, excerpt=excerpt)
    error_class, error = failures.answered(status, response.headers.get("Location"))
    return SendResult("failed", started_at, status, latency_ms, ip, error_class, error[:500], excerpt,
                      retry_after=response.headers.get("Retry-After"))


def _read_capped(response: urllib3.HTTPResponse, *, deadline: float) -> tuple[bytes, bool]:
    """At most MAX_BODY_BYTES of the body, and whether that was all of it, within the total timeout."""
    chunks, size = [], 0
    while size < MAX_BODY_BYTES:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("total timeout")
        sock = getattr(response.connection, "sock", None)
        if sock is not None:
            sock.settimeout(remaining)  # no single read may outlast the total timeout
        chunk = response.read1(min(16384, MAX_BODY_BYTES - size))
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks), False


def _failure(started_at: datetime, clock: float, ip: str, error_class: str, error: str,
             status_code: int | None = None) -> SendResult:
    return SendResult("failed", started_at, status_code, _elapsed_ms(clock), ip, error_class, error[:500])


def _elapsed_ms(clock: float) -> int:
    return int((time.monotonic() - clock) * 1000)
