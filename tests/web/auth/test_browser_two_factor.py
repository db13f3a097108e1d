"""In a real browser: turn on two-factor from the Security page with the key the page shows, keep the
recovery codes, sign out, and sign in again with a code from the authenticator (pyotp here)."""

from __future__ import annotations

import time
from pathlib import Path

import pyotp
import pytest

from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def test_a_partner_turns_on_two_factor_and_signs_in_with_a_code(page, live_server, make):
    user = make.partner_user(make.partner(name="Bluebird Media"), email="two-factor@partner.test")
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)

    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    page.goto(live_server.url + "/account/security")
    page.click("button:has-text('Set up two-factor')")
    page.wait_for_url(live_server.url + "/account/security/two-factor")
    qr = page.locator("img.qr")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")  # the SVG drawn here, shown
    totp = pyotp.TOTP(page.text_content("#two-factor-secret").strip())

    page.fill("input[name=code]", totp.at(time.time() - 30))  # the step before: a slow hand still counts
    page.click("button:has-text('Turn on two-factor')")
    page.wait_for_selector("ol.recovery-codes")
    codes = page.locator("ol.recovery-codes li").all_text_contents()
    assert len(codes) == 10
    with page.expect_download() as download:
        page.click("#download-recovery-codes")
    assert download.value.suggested_filename == "recovery-codes.txt"
    saved = Path(download.value.path()).read_text()
    assert all(code in saved for code in codes)
    page.click("text=I have saved them")
    assert "On." in page.text_content("#two-factor")

    page.click("text=Sign out")
    page.wait_for_url(live_server.url + "/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/login/two-factor")
    assert "Enter the 6-digit code from your app, or a recovery code." in page.text_content("main")
    page.fill("input[name=code]", totp.now())
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    assert "Bluebird Media" in page.text_content("header")
    assert violations == []
