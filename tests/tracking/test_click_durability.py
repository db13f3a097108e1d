"""A redirected click survives the tracker's death: gunicorn serving a file SQLite database answers a click's
302, is SIGKILLed at once, and a fresh app still finds the click and credits a conversion through it."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from portal import create_app
from portal.extensions import db
from portal.models import Click, Conversion
from portal.services.intake import set_intake_token
from tests import factories
from tests.conftest import base_config

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "durability-intake-token-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answering(port: int, process: subprocess.Popen, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout  # a bound on waiting for start-up, not a timing assertion
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


@pytest.fixture
def world(tmp_path):
    """A file SQLite database of its own, migrated, with a partner, an offer and the intake token."""
    url = f"sqlite:///{tmp_path / 'tracker.sqlite'}"
    app = create_app(base_config(SQLALCHEMY_DATABASE_URI=url))
    with app.app_context():
        upgrade()
        make = factories.Factories(db)
        partner, offer = make.partner(), make.offer(destination_url="https://advertiser.example/?tid={transaction_id}")
        set_intake_token(TOKEN)
        ids = partner.id, offer.id
        db.session.remove()
        db.engine.dispose()
    return url, ids


def test_a_redirected_click_is_attributable_after_the_process_is_killed(tmp_path, world):
    url, (partner_id, offer_id) = world
    instance = tmp_path / "instance"
    instance.mkdir()
    settings = {key: value for key, value in base_config(SQLALCHEMY_DATABASE_URI=url).items() if key != "TESTING"}
    (instance / "config.py").write_text("".join(f"{key} = {value!r}\n" for key, value in settings.items()))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_") and k != "DATABASE_URL"}
    env["PORTAL_INSTANCE_PATH"] = str(instance)
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("w") as stderr:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "wsgi:app"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
    try:
        assert answering(port, server), log.read_text()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", f"/c/{partner_id}/{offer_id}?sub1=kill")
        response = connection.getresponse()
        status, location = response.status, response.getheader("Location")
        os.killpg(server.pid, signal.SIGKILL)  # the master and its worker, the moment the 302 is read
        server.wait(10)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)
    assert status == 302, log.read_text()
    transaction_id = parse_qs(urlsplit(location).query)["tid"][0]

    fresh = create_app(base_config(SQLALCHEMY_DATABASE_URI=url))
    with fresh.app_context():
        click = db.session.scalar(select(Click).where(Click.transaction_id == transaction_id))
        assert (click.partner_id, click.offer_id, click.sub1) == (partner_id, offer_id, "kill")
        answer = fresh.test_client().post("/postback", query_string={"transaction_id": transaction_id,
                                                                      "token": TOKEN, "amount": "10"})
        assert answer.status_code == 200, answer.json
        conversion = db.session.scalar(select(Conversion).where(Conversion.transaction_id == transaction_id))
        assert (conversion.partner_id, conversion.offer_id, conversion.sub1) == (partner_id, offer_id, "kill")
        db.session.remove()
        db.engine.dispose()
