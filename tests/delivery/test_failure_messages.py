"""A failed postback request reads as plain words: the real failures (a name that cannot exist, a closed port,
a listener that never answers or hangs up, an error status) each give the message a partner sees."""

from __future__ import annotations

import socket
import threading

import pytest

from portal.delivery.http import SendSettings, send
from tests.delivery.conftest import Reply

LOCAL = SendSettings(allow_private=True, connect_timeout=1, total_timeout=1)
RAW_DETAIL = ("Errno", "errno", "gaierror", "urllib3", "HTTPConnection", "Max retries", "object at 0x")


def _plain(result) -> str:
    assert result.error and not any(word in result.error for word in RAW_DETAIL), result.error
    return result.error


def test_a_name_that_cannot_exist():
    result = send("http://tracker.example.invalid/pb?t=1", LOCAL)
    assert (result.outcome, result.error_class) == ("failed", "dns")
    assert _plain(result) == "Could not resolve host tracker.example.invalid"


def test_a_closed_port():
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens on it now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = send(f"http://127.0.0.1:{port}/pb", LOCAL)
    assert (result.outcome, result.error_class) == ("failed", "connection")
    assert _plain(result) == f"Connection refused by 127.0.0.1:{port}"


@pytest.fixture
def silent_port():
    """Accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


def test_a_listener_that_never_answers(silent_port):
    result = send(f"http://127.0.0.1:{silent_port}/pb", LOCAL)
    assert (result.outcome, result.error_class) == ("failed", "timeout")
    assert _plain(result) == "Timed out after 1 s"


@pytest.fixture
def hanging_up_port():
    """Reads the request, then closes the connection without a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    done = threading.Event()

    def serve():
        while not done.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    done.set()
    server.close()


def test_a_listener_that_hangs_up(hanging_up_port):
    result = send(f"http://127.0.0.1:{hanging_up_port}/pb", LOCAL)
    assert (result.outcome, result.error_class) == ("failed", "connection")
    assert _plain(result) == f"127.0.0.1:{hanging_up_port} closed the connection without answering"


@pytest.mark.parametrize(("reply", "message", "error_class"), [
    (Reply(500, b"boom"), "The destination answered HTTP 500", "http"),
    (Reply(404, b""), "The destination answered HTTP 404", "http"),
    (Reply(302, b"", {"Location": "https://elsewhere.example/"}),
     "The destination answered HTTP 302 (a redirect to https://elsewhere.example/); redirects are not followed",
     "redirect"),
])
def test_an_answer_that_is_not_a_success(listener, reply, message, error_class):
    listener.default = reply
    result = send(listener.url("/pb"), LOCAL)
    assert (result.outcome, result.status_code, result.error_class) == ("failed", reply.status, error_class)
    assert _plain(result) == message


def test_a_url_that_cannot_be_filled_in_says_why_without_parser_detail():
    from json import JSONDecodeError

    from portal.delivery import failures
    from portal.delivery.macros import TemplateError

    moved = TemplateError("postback_url: a macro value changed where the request goes")
    assert failures.unrenderable(moved) == (
        "invalid_url", "The postback URL could not be filled in: a macro value changed where the request goes")
    broken = JSONDecodeError("Expecting value", "{", 0)
    assert failures.unrenderable(broken) == (
        "invalid_url", "The postback URL could not be filled in: the stored values could not be read")
