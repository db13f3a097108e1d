"""One User-Agent parser for the whole app (ua-parser): device type, operating system and browser."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ua_parser import parse

DEVICE_TYPES = ("desktop", "mobile", "tablet", "bot", "unknown")
_TABLET_HINTS = ("ipad", "tablet", "kindle", "silk", "playbook", "nexus 7", "nexus 9", "nexus 10")
_MOBILE_SYSTEMS = ("ios", "android", "windows phone", "blackberry os", "kaios", "firefox os")
_DESKTOP_SYSTEMS = ("windows", "mac os x", "macos", "linux", "ubuntu", "fedora", "chrome os", "chromeos",
                    "freebsd", "openbsd", "debian")
MAX_USER_AGENT = 500  # the longest user agent the clicks table keeps; longer ones are parsed as cut


@dataclass(frozen=True)
class Agent:
    device: str  # one of DEVICE_TYPES
    platform: str | None  # the operating system, e.g. "Android", "iOS", "Windows"
    browser: str | None  # e.g. "Chrome Mobile", "Safari"


@lru_cache(maxsize=4096)  # traffic repeats a few thousand user agents; the regexes are the slow part
def classify(user_agent: str) -> Agent:
    """The device type, operating system and browser family a User-Agent string names."""
    found = parse(user_agent[:MAX_USER_AGENT])
    browser = found.user_agent.family if found.user_agent else None
    system = found.os.family if found.os else None
    device_family = (found.device.family if found.device else "") or ""
    return Agent(_device_type(user_agent.lower(), device_family, system), system, browser)


def _device_type(lowered: str, device_family: str, system: str | None) -> str:
    if device_family == "Spider" or "bot" in lowered or "spider" in lowered or "crawl" in lowered:
        return "bot"
    if any(hint in lowered for hint in _TABLET_HINTS) or (
            system == "Android" and "mobile" not in lowered):  # Android tablets drop "Mobile" from the UA
        return "tablet"
    name = (system or "").lower()
    if name in _MOBILE_SYSTEMS or "mobile" in lowered:
        return "mobile"
    if name in _DESKTOP_SYSTEMS:
        return "desktop"
    return "unknown"


def describe(user_agent: str) -> str:
    """"Chrome 156 on Linux", "Mobile Safari 17 on iOS (iPhone)", or the raw string when nothing is known."""
    found = parse(user_agent or "")
    if found.user_agent is None and found.os is None:
        return user_agent[:60] or "Unknown browser"
    browser = " ".join(part for part in (found.user_agent.family, found.user_agent.major) if part) \
        if found.user_agent else "A browser"
    system = f" on {found.os.family}" if found.os else ""
    device = f" ({found.device.family})" if found.device and found.device.family not in ("Other", "") else ""
    return browser + system + device
