"""A total timeout for one postback send, whatever the request is waiting for, and the pools that honour it.

urllib3's timeouts bound each connect and each read, not the whole request: an endpoint that trickles a
byte every few seconds would hold a delivery worker for as long as it likes. A Deadline shuts the send's
connection down when the total timeout passes; the connection classes below report themselves to the
deadline of the send running on their thread, and pool_manager() builds the process's keep-alive pools
from them.
"""

from __future__ import annotations

import socket
import threading

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class Deadline:
    """Shuts the request's connection down (SHUT_RDWR) once the total timeout has passed, whatever the
    request is waiting for then; `expired` tells the sender that a failure that follows was the timeout.

    The connection reports itself (attach) when it sends a request and when it has connected, so a fresh
    connection still being made when the timer fires is shut down as soon as it exists. A TLS handshake
    in progress cannot be reached; it is bounded by the connect timeout per read.
    """

    _current = threading.local()  # the deadline of the send running on this thread

    def __init__(self, seconds: float) -> None:
        self._lock = threading.Lock()
        self._connection: HTTPConnection | None = None
        self.expired = False
        self._timer = threading.Timer(max(0.0, seconds), self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        Deadline._current.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()
        Deadline._current.deadline = None

    @classmethod
    def attach(cls, connection: HTTPConnection) -> None:
        deadline = getattr(cls._current, "deadline", None)
        if deadline is not None:
            with deadline._lock:
                deadline._connection = connection
                expired = deadline.expired
            if expired:
                shut_down(connection)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            connection = self._connection
        if connection is not None:
            shut_down(connection)


def shut_down(connection: HTTPConnection) -> None:
    sock = getattr(connection, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked read on another thread, unlike close()
        except OSError:
            pass  # already closed


class DeadlineAware:
    """Mixed into urllib3's connections: each one registers with the send's deadline when it connects
    and when a request goes out on it (a kept-alive connection is reused by later sends)."""

    def connect(self) -> None:
        super().connect()
        Deadline.attach(self)

    def request(self, *args, **kwargs) -> None:
        Deadline.attach(self)
        super().request(*args, **kwargs)


class DeadlineHTTPConnection(DeadlineAware, HTTPConnection):
    pass


class DeadlineHTTPSConnection(DeadlineAware, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = DeadlineHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = DeadlineHTTPSConnection


_pools: urllib3.PoolManager | None = None
_pools_lock = threading.Lock()


def pool_manager() -> urllib3.PoolManager:
    """One keep-alive pool per (vetted IP, port, name) in this process; never reads proxy settings."""
    global _pools
    with _pools_lock:
        if _pools is None:
            # maxsize: idle connections kept per destination, as many as a worker's largest --concurrency,
            # so that busy partners' connections are reused rather than opened and discarded.
            _pools = urllib3.PoolManager(num_pools=256, maxsize=64, block=False, retries=False,
                                         cert_reqs="CERT_REQUIRED")
            _pools.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
        return _pools
