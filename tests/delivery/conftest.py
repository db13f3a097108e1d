"""Fixtures for postback delivery: a real HTTP listener on 127.0.0.1 that counts connections, and outbox rows."""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from portal.delivery import http, outbox
from portal.models import Offer, Postback, PostbackAttempt, PostbackDelivery
from tests.servers import POLL_SECONDS


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"OK"
    headers: dict[str, str] = field(default_factory=dict)
    stall: threading.Event | None = None  # hold the request until this is set
    delay: float = 0.0


@dataclass
class Received:
    path: str
    headers: dict[str, str]


class Listener:
    """A threaded HTTP/1.1 server; replies are queued (else the default), every request and connection counted."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.connections = 0
        self.body_bytes_written = 0  # how much of the bodies the clients let the server write
        self.replies_done = 0
        self.default = Reply()
        self.queued: deque[Reply] = deque()
        self.lock = threading.Lock()
        self.got_request = threading.Condition(self.lock)
        self._stalls: list[threading.Event] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                with listener.lock:
                    listener.requests.append(Received(self.path, dict(self.headers)))
                    reply = listener.queued.popleft() if listener.queued else listener.default
                    listener.got_request.notify_all()
                if reply.stall is not None:
                    reply.stall.wait(30)
                if reply.delay:
                    threading.Event().wait(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    for start in range(0, len(reply.body), 65536):
                        self.wfile.write(reply.body[start:start + 65536])
                        with listener.lock:
                            listener.body_bytes_written += len(reply.body[start:start + 65536])
                except OSError:
                    self.close_connection = True  # the client hung up, as it may after 64 KiB
                with listener.lock:
                    listener.replies_done += 1

            def log_message(self, format, *args) -> None:
                pass

        class CountingServer(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False

            def process_request(self, request, client_address) -> None:
                with listener.lock:
                    listener.connections += 1
                super().process_request(request, client_address)

        self.server = CountingServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": POLL_SECONDS},
                                        daemon=True)

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def reply(self, *replies: Reply) -> None:
        with self.lock:
            self.queued.extend(replies)
            self._stalls.extend(r.stall for r in replies if r.stall is not None)

    def wait_for_requests(self, count: int, timeout: float = 20) -> bool:
        with self.got_request:
            return self.got_request.wait_for(lambda: len(self.requests) >= count, timeout)

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        for stall in self._stalls:
            stall.set()
        self.server.shutdown()
        self.server.server_close()


def wait_until(condition, timeout: float = 30, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def fake_dns(monkeypatch, answers: dict[str, list]):
    """Replace getaddrinfo in the sender module only; each answer list is returned in turn per lookup."""
    lookups = []

    def getaddrinfo(host, port, *args, **kwargs):
        lookups.append(host)
        queue = answers[host]
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "",
                 (a, port)) for a in addresses]

    monkeypatch.setattr(http, "getaddrinfo", getaddrinfo)
    return lookups


@pytest.fixture
def listener():
    with Listener() as server:
        yield server


@pytest.fixture
def allow_private(app):
    """Private destinations and any port allowed, as in local development: needed to reach the listener."""
    app.config["POSTBACK_ALLOW_PRIVATE_DESTINATIONS"] = True
    return app


class Outbox:
    """Postbacks and their deliveries, written the way the app writes them (portal.delivery.outbox).

    Each postback gets an offer of its own, so a conversion on that offer feeds that postback alone.
    """

    def __init__(self, db, make) -> None:
        self.db, self.make = db, make
        self.partner = make.partner()

    def postback(self, url: str, **fields) -> Postback:
        fields.setdefault("partner_id", self.partner.id)
        fields.setdefault("offer_id", self.make.offer().id)
        postback = Postback(url=url, status="active", delivery_method="postback", **fields)
        self.db.session.add(postback)
        self.db.session.commit()
        return postback

    def conversion(self, postback: Postback, **fields) -> PostbackDelivery:
        """A conversion on the postback's offer and its delivery, committed together."""
        offer = self.db.session.get(Offer, postback.offer_id)
        conversion = self.make.conversion(self.partner, offer, **fields)
        (delivery,) = outbox.enqueue_for_conversion(self.db.session, conversion, offer)
        self.db.session.commit()
        return delivery

    def test_send(self, postback: Postback) -> PostbackDelivery:
        delivery = outbox.enqueue_test(self.db.session, postback)
        self.db.session.commit()
        return delivery

    def attempts(self, delivery_id: int) -> list[PostbackAttempt]:
        return list(self.db.session.scalars(select(PostbackAttempt).where(
            PostbackAttempt.delivery_id == delivery_id).order_by(PostbackAttempt.attempt_number)))

    def reload(self, row):
        self.db.session.expire_all()
        return self.db.session.get(type(row), row.id)


@pytest.fixture
def outbox_rows(db, make):
    return Outbox(db, make)
