"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it receives, for the mail tests."""

from __future__ import annotations

import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """with Mailbox() as box: … box.url (for PORTAL_SMTP_URL), box.wait(n) → the first n messages."""

    def __init__(self, **smtp_options) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []
        self._lock = threading.Lock()
        # A generous start-up wait: on a loaded machine the server thread may take seconds to come up.
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port(), ready_timeout=30,
                                     **smtp_options)
        self.url = f"smtp://127.0.0.1:{self.controller.port}"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's hook name)
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self._lock:
            self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def __enter__(self) -> "Mailbox":
        self.controller.start()
        self._warm_up()
        return self

    def _warm_up(self) -> None:
        """One message through both ends first, so that the lazy imports of smtplib, email and aiosmtpd happen
        here rather than in a server thread while a test's own thread compiles templates or test modules."""
        import smtplib

        with smtplib.SMTP("127.0.0.1", self.controller.port, timeout=30) as client:
            client.sendmail("warm@up.example", ["warm@up.example"], b"Subject: warm-up\r\n\r\nwarm-up\r\n")
        self.wait(1)
        with self._lock:
            self.received.clear()

    def __exit__(self, *exc) -> None:
        from portal.delivery import mail

        # A message a test queued but did not wait for (an invitation in a refusal test, say) is finished
        # first: stopping the server under a live connection leaves its transport unclosed.
        mail.wait_until_sent(timeout=60)
        self.controller.stop()

    def wait(self, count: int = 1, timeout: float = 15.0) -> list[EmailMessage]:
        """The first `count` messages, waiting for the mail thread to hand them over (a failure names why)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return [message for _, message in self.received[:count]]
            time.sleep(0.02)
        raise AssertionError(f"expected {count} message(s), received {len(self.received)}")

    def recipients(self) -> list[list[str]]:
        with self._lock:
            return [rcpt for rcpt, _ in self.received]


def parts(message: EmailMessage) -> tuple[str, str]:
    """(plain text, HTML) of a multipart/alternative message."""
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def link_in(message: EmailMessage, path: str) -> str:
    """The path of the one link under `path` in the text part (the HTML part must carry the same link)."""
    import re

    text, html = parts(message)
    found = re.findall(rf"https?://[^\s/]+({re.escape(path)}[A-Za-z0-9_\-]+)", text)
    assert len(set(found)) == 1, text
    assert found[0] in html
    return found[0]


def raw_form(fields: dict[str, str]) -> dict:
    """Keyword arguments for client.post sending the fields as a urlencoded body, as a browser or a script
    could: text the codec refuses (a lone surrogate) goes as the bytes it would have been."""
    from urllib.parse import quote_from_bytes

    body = "&".join(f"{name}={quote_from_bytes(value.encode('utf-8', 'surrogatepass'), safe='')}"
                    for name, value in fields.items())
    return {"data": body.encode("ascii"), "content_type": "application/x-www-form-urlencoded"}
