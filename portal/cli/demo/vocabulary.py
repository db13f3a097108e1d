"""The values demo clicks are made of: countries, devices, browsers, and each partner's own sub ids."""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate

COUNTRIES = ("US", "GB", "CA", "DE", "FR", "AU", "NL", "ES", "IT", "BR", "IN", "MX", "SE", "JP", "IE", "PL")
COUNTRY_WEIGHTS = (45, 10, 8, 6, 5, 5, 3, 3, 3, 3, 3, 2, 2, 2, 1, 1)

DEVICES = ("desktop", "mobile", "tablet")
DEVICE_CUM = tuple(accumulate((44, 49, 7)))
USER_AGENTS = {
    "desktop": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
    ),
    "mobile": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/130.0.6723.90 Mobile/15E148 Safari/604.1",
    ),
    "tablet": (
        "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    ),
}

# The browser and operating system each agent above reports, as reports show them.
AGENT_TRAITS = {
    USER_AGENTS["desktop"][0]: ("Chrome", "Windows"), USER_AGENTS["desktop"][1]: ("Safari", "macOS"),
    USER_AGENTS["desktop"][2]: ("Firefox", "Windows"), USER_AGENTS["desktop"][3]: ("Edge", "Windows"),
    USER_AGENTS["mobile"][0]: ("Mobile Safari", "iOS"), USER_AGENTS["mobile"][1]: ("Chrome Mobile", "Android"),
    USER_AGENTS["mobile"][2]: ("Chrome Mobile", "Android"), USER_AGENTS["mobile"][3]: ("Chrome Mobile", "iOS"),
    USER_AGENTS["tablet"][0]: ("Mobile Safari", "iPadOS"), USER_AGENTS["tablet"][1]: ("Chrome", "Android"),
}

_PROMOS = ("bf", "cm", "spring", "summer", "bts", "holiday", "nye", "vday", "prime_day", "evergreen", "q4_push")
_CHANNELS = ("email", "push", "social", "search", "native", "sms", "blog", "yt", "retarget")
PLACEMENTS = (
    "sidebar_300x250", "header_728x90", "footer_468x60", "mobile_320x50", "sticky_bottom_320x100",
    "inline_article", "newsletter_top", "newsletter_footer", "exit_intent_popup", "native_feed_3",
    "video_preroll", "comparison_table", "coupon_list_1", "homepage_hero", "review_cta_button",
)
_SUB4_STYLES = (
    ("variant_a", "variant_b"),
    ("lp1", "lp2", "lp3"),
    ("ios", "android", "web"),
    ("kw_brand", "kw_generic", "kw_competitor", "kw_longtail"),
)
_PAGES = ("best-credit-cards", "deals/today", "reviews", "blog/how-to-save", "compare", "coupons", "top-10")


def _hex32(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _hex64(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def _fbclid(rng: random.Random) -> str:
    return "IwAR" + base64.urlsafe_b64encode(rng.randbytes(42)).decode()  # 60 characters


def _gclid(rng: random.Random) -> str:
    return "Cj0KCQiA" + base64.urlsafe_b64encode(rng.randbytes(30)).decode()  # 48 characters


def _guid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


CLICK_ID_FORMATS: tuple[Callable[[random.Random], str], ...] = (_hex32, _hex64, _fbclid, _gclid, _guid)


def random_ip(rng: random.Random) -> str:
    n = rng.getrandbits(32)
    return f"{11 + (n >> 24) % 212}.{(n >> 16) & 255}.{(n >> 8) & 255}.{1 + (n & 255) % 254}"


@dataclass(frozen=True)
class SubIdProfile:
    """How one partner tags its traffic: its campaigns, placements, click-id format and sources."""

    campaigns: tuple[str, ...]
    campaign_cum: tuple[float, ...]
    placements: tuple[str, ...]
    click_id: Callable[[random.Random], str]
    sub4_values: tuple[str | None, ...]  # None entries make sub4 empty that often
    sub5_rate: float
    sources: tuple[str, ...]
    referers: tuple[str | None, ...]
    coupons: tuple[str, ...]
    country_cum: tuple[float, ...]


def profile_for(rng: random.Random, *, short: str, domain: str, home_country: str, year: int) -> SubIdProfile:
    """A partner's own tagging habits, drawn once from the seeded generator."""
    campaigns = sorted({f"{rng.choice(_PROMOS)}_{rng.choice((year, year, year - 1))}_{rng.choice(_CHANNELS)}"
                        for _ in range(rng.randint(6, 14))})
    popularity = [rng.paretovariate(1.2) for _ in campaigns]
    placements = tuple(rng.sample(PLACEMENTS, rng.randint(4, 9)))
    style = rng.choice(_SUB4_STYLES)
    sub4 = style + (None,) * len(style)  # empty about half the time
    sources = tuple(sorted({rng.choice((f"site_{rng.randint(1000, 9999)}", f"app_ios_{rng.randint(10, 99)}",
                                        f"app_android_{rng.randint(10, 99)}", "newsletter_weekly",
                                        "yt_channel_main", "ig_stories", f"pub_{rng.randint(100, 999)}"))
                            for _ in range(rng.randint(3, 8))}))
    referers = tuple(f"https://www.{domain}/{page}" for page in rng.sample(_PAGES, 3)) + (None, None)
    coupons = (f"{short}{rng.choice((10, 15, 20))}", f"{short}{rng.choice((25, 30))}", "WELCOME10")
    countries = [w * (5 if c == home_country else 1) for c, w in zip(COUNTRIES, COUNTRY_WEIGHTS)]
    return SubIdProfile(
        campaigns=tuple(campaigns), campaign_cum=tuple(accumulate(popularity)), placements=placements,
        click_id=rng.choice(CLICK_ID_FORMATS), sub4_values=sub4, sub5_rate=rng.choice((0.1, 0.25, 0.4)),
        sources=sources, referers=referers, coupons=coupons, country_cum=tuple(accumulate(countries)),
    )
