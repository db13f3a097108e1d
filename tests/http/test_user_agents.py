"""One parser for user agents: a click's device type, operating system and browser."""

from __future__ import annotations

import pytest

from portal.http.user_agents import classify

CASES = [
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.0 Mobile/15E148 Safari/604.1", "mobile", "iOS", "Mobile Safari"),
    ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 "
     "Mobile/15E148 Safari/604.1", "tablet", "iOS", "Mobile Safari"),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile "
     "Safari/537.36", "mobile", "Android", "Chrome"),
    ("Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
     "Safari/537.36", "tablet", "Android", "Chrome"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
     "Safari/537.36", "desktop", "Windows", "Chrome"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 "
     "Safari/605.1.15", "desktop", "Mac OS X", "Safari"),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "bot", None, "Googlebot"),
    ("", "unknown", None, None),
    ("x" * 5000, "unknown", None, None),
]


@pytest.mark.parametrize(("user_agent", "device", "platform", "browser"), CASES, ids=range(len(CASES)))
def test_device_type_system_and_browser(user_agent, device, platform, browser):
    found = classify(user_agent)
    assert (found.device, found.platform, found.browser) == (device, platform, browser)
