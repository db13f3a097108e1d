"""HTTPS postbacks connect to the vetted IP while TLS (SNI and the certificate check) uses the URL's name."""

from __future__ import annotations

import datetime
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import urllib3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from portal.delivery import deadlines
from portal.delivery import http as sender
from tests.delivery.conftest import fake_dns
from tests.servers import POLL_SECONDS

NAME = "tracker.partner.example"


def self_signed(tmp_path, name: str):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def https_listener(tmp_path):
    """An HTTPS server on 127.0.0.1 with a certificate for NAME; records the SNI and Host it was given."""
    cert_path, key_path = self_signed(tmp_path, NAME)
    seen = {"sni": [], "host": []}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            seen["host"].append(self.headers["Host"])
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"OK")

        def log_message(self, format, *args) -> None:
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    context.sni_callback = lambda sock, server_name, ctx: seen["sni"].append(server_name)

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def get_request(self):
            sock, address = super().get_request()
            return context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

        def handle_error(self, request, client_address) -> None:
            pass  # a client refusing our certificate is what some tests expect

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True)
    thread.start()
    yield server.server_address[1], cert_path, seen
    server.shutdown()
    server.server_close()


SETTINGS = sender.SendSettings(allow_private=True, connect_timeout=3, total_timeout=5)


def test_an_untrusted_certificate_fails_as_tls(https_listener, monkeypatch):
    port, _, seen = https_listener
    fake_dns(monkeypatch, {NAME: [["127.0.0.1"]]})
    monkeypatch.setattr(deadlines, "_pools", None)
    result = sender.send(f"https://{NAME}:{port}/pb", SETTINGS)
    assert (result.outcome, result.error_class, result.resolved_ip) == ("failed", "tls", "127.0.0.1")
    assert result.error == f"TLS failed: the certificate of {NAME} is self-signed"
    assert seen["sni"] == [NAME] and seen["host"] == []


def test_sni_host_and_certificate_use_the_name_while_connecting_to_the_vetted_ip(https_listener, monkeypatch):
    port, cert_path, seen = https_listener
    fake_dns(monkeypatch, {NAME: [["127.0.0.1"]], "other.partner.example": [["127.0.0.1"]]})
    trusting = urllib3.PoolManager(num_pools=4, retries=False, cert_reqs="CERT_REQUIRED", ca_certs=str(cert_path))
    monkeypatch.setattr(deadlines, "_pools", trusting)
    result = sender.send(f"https://{NAME}:{port}/pb?x=1", SETTINGS)
    assert (result.outcome, result.status_code, result.resolved_ip) == ("delivered", 200, "127.0.0.1")
    assert seen["sni"] == [NAME] and seen["host"] == [f"{NAME}:{port}"]
    # The same server and IP under another name: the certificate does not match it.
    wrong = sender.send(f"https://other.partner.example:{port}/pb", SETTINGS)
    assert (wrong.outcome, wrong.error_class) == ("failed", "tls")
    assert wrong.error == "TLS failed: the certificate of other.partner.example is not valid for that name"
    trusting.clear()
