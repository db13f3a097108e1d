"""What went wrong with a postback request, in words a partner can act on: the one place where the sender's
exceptions (socket, resolver, TLS, urllib3) become the plain messages of the delivery log.

A partner reads these on the Send test panel, in the delivery log and through the API's pixel tests, so
they name the host or the address and port that failed and say what happened ("Connection refused by
203.0.113.5:443", "Timed out after 5 s", "The destination answered HTTP 500"), never an errno, a
resolver code or a library's class name. Each function returns (error_class, message); error_class is
the log's category (timeout, blocked, dns, tls, connection, redirect, http, invalid_url).
"""

from __future__ import annotations

import errno
import http.client
import logging
import socket
import ssl

from urllib3.exceptions import (ConnectTimeoutError, LocationParseError, NewConnectionError, ProtocolError,
                                ReadTimeoutError, SSLError)
from urllib3.exceptions import TimeoutError as Urllib3Timeout

log = logging.getLogger(__name__)

Failure = tuple[str, str]


def seconds(value: float) -> str:
    """5 → "5 s", 2.5 → "2.5 s"."""
    return f"{value:g} s"


def unresolvable(host: str, err: BaseException | None = None) -> Failure:
    """The name lookup failed (no such name, or the resolver could not answer)."""
    if isinstance(err, socket.gaierror) and err.errno in (socket.EAI_AGAIN, getattr(socket, "EAI_FAIL", None)):
        return "dns", f"Could not resolve host {host} (the name server did not answer; try again later)"
    return "dns", f"Could not resolve host {host}"


def no_usable_address(host: str) -> Failure:
    return "dns", f"Could not resolve host {host} to a usable address"


def lookup_timed_out(host: str, total: float) -> Failure:
    return "timeout", f"Timed out after {seconds(total)} looking up {host}"


def out_of_time(total: float) -> Failure:
    """The whole send ran past its total timeout (connecting, sending, or waiting for the answer)."""
    return "timeout", f"Timed out after {seconds(total)}"


def unrenderable(err: Exception) -> Failure:
    """The URL could not be filled in from the delivery's values: no request is made."""
    reason = str(err).removeprefix("postback_url: ") if isinstance(err, ValueError) and str(err).startswith(
        "postback_url: ") else "the stored values could not be read"
    return "invalid_url", f"The postback URL could not be filled in: {reason}"


def answered(status: int, location: str | None = None) -> Failure:
    """A complete answer that is not a success."""
    if 300 <= status < 400:
        where = f" (a redirect to {location})" if location else " (a redirect)"
        return "redirect", f"The destination answered HTTP {status}{where}; redirects are not followed"
    return "http", f"The destination answered HTTP {status}"


def broke_while_reading(ip: str, port: int) -> Failure:
    return "connection", f"The connection to {_at(ip, port)} broke while the answer was being read"


def request_failed(err: BaseException, *, host: str, ip: str, port: int, connect_timeout: float,
                   total_timeout: float) -> Failure:
    """An exception raised while connecting to the vetted address, sending the request or reading the answer."""
    where = _at(ip, port)
    if isinstance(err, NewConnectionError):  # before the timeout classes: it subclasses ConnectTimeoutError
        return "connection", _could_not_connect(_os_error(err), where)
    if isinstance(err, ConnectTimeoutError):
        return "timeout", f"Timed out after {seconds(connect_timeout)} connecting to {where}"
    if isinstance(err, (ReadTimeoutError, Urllib3Timeout, TimeoutError, socket.timeout)):
        return "timeout", f"Timed out after {seconds(total_timeout)}"
    if isinstance(err, (SSLError, ssl.SSLError)):
        return "tls", _tls(err, host)
    if isinstance(err, LocationParseError):
        return "invalid_url", "The URL could not be parsed"
    if isinstance(err, (ProtocolError, OSError)) or isinstance(_os_error(err), OSError):
        inner = _os_error(err)
        if isinstance(inner, http.client.RemoteDisconnected) or isinstance(err, http.client.RemoteDisconnected):
            return "connection", f"{where} closed the connection without answering"
        if isinstance(inner, ConnectionResetError):
            return "connection", f"Connection reset by {where}"
        if isinstance(inner, http.client.HTTPException):
            return "connection", f"{where} did not answer with valid HTTP"
        return "connection", f"The connection to {where} failed"
    # A destination must never be able to stop the worker; keep the detail for us.
    log.error("unexpected error sending a postback to %s", host, exc_info=err)
    return "connection", f"The connection to {where} failed unexpectedly"


def _at(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def _os_error(err: BaseException) -> BaseException | None:
    """The socket-level error a urllib3 exception wraps (its cause, its context or its reason)."""
    seen = err
    for _ in range(4):
        inner = getattr(seen, "reason", None) or seen.__cause__ or seen.__context__
        if not isinstance(inner, BaseException):
            return seen
        seen = inner
    return seen


def _could_not_connect(inner: BaseException | None, where: str) -> str:
    code = getattr(inner, "errno", None)
    if isinstance(inner, ConnectionRefusedError) or code == errno.ECONNREFUSED:
        return f"Connection refused by {where}"
    if code in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return f"Could not reach {where}: no route to that address"
    if isinstance(inner, ConnectionResetError) or code == errno.ECONNRESET:
        return f"Connection reset by {where}"
    return f"Could not connect to {where}"


def _tls(err: BaseException, host: str) -> str:
    text = str(err)
    if "Hostname mismatch" in text or "doesn't match" in text or "IP address mismatch" in text:
        return f"TLS failed: the certificate of {host} is not valid for that name"
    if "expired" in text:
        return f"TLS failed: the certificate of {host} has expired"
    if "self-signed" in text or "self signed" in text:
        return f"TLS failed: the certificate of {host} is self-signed"
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return f"TLS failed: the certificate of {host} could not be verified"
    return f"TLS failed: could not set up a secure connection with {host}"
