"""What staff write into an offer, made safe on save: rich text through nh3's allow-list, landing page URLs
with only the tracker's macros, and only after the host, so that no click value can move where it goes."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import nh3

from portal.domain.tracking_links import DESTINATION_MACROS

MAX_HTML_LENGTH = 100_000
MAX_URL_LENGTH = 2000
# Formatting only: no forms, frames, media players, scripts or styles; every link opens without the opener.
_TEXT_TAGS = {"p", "br", "hr", "b", "strong", "i", "em", "u", "s", "small", "sub", "sup", "mark", "code", "pre",
              "blockquote", "ul", "ol", "li", "dl", "dt", "dd", "h2", "h3", "h4", "h5", "h6", "a", "span", "div",
              "table", "thead", "tbody", "tr", "th", "td", "caption"}
_TEXT_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
# Creatives (HTML banners, emails) may also show images from the advertiser's servers.
_CREATIVE_TAGS = _TEXT_TAGS | {"img", "center", "font"}
_CREATIVE_ATTRIBUTES = {**_TEXT_ATTRIBUTES, "img": {"src", "alt", "width", "height", "title"},
                        "table": {"width", "border", "cellpadding", "cellspacing"}}
_URL_SCHEMES = {"http", "https", "mailto"}
_DROP_WITH_CONTENT = {"script", "style", "template", "noscript", "iframe", "object", "embed", "svg", "math"}
_MACRO = re.compile(r"\{([^{}]*)\}")


class ContentError(ValueError):
    """Content that cannot be saved; the message names the field and the rule it breaks."""


def _clean(html: str, field: str, tags: set[str], attributes: dict,
           max_length: int | None = MAX_HTML_LENGTH) -> str:
    if max_length is not None and len(html) > max_length:
        raise ContentError(f"{field}: at most {MAX_HTML_LENGTH:,} characters")
    return nh3.clean(html.replace("\x00", ""), tags=tags, attributes=attributes, url_schemes=_URL_SCHEMES,
                     link_rel="noopener nofollow", clean_content_tags=_DROP_WITH_CONTENT, strip_comments=True)


def clean_description(html: str, field: str = "description") -> str:
    """An offer's description: formatting tags and http(s)/mailto links only."""
    return _clean(html or "", field, _TEXT_TAGS, _TEXT_ATTRIBUTES)


def sanitised_description(html: str) -> str:
    """An offer description saved before descriptions were cleaned (migration 0010), through the same
    allow-list, whatever its length: it is already stored, so it is made safe rather than refused."""
    return _clean(html or "", "description", _TEXT_TAGS, _TEXT_ATTRIBUTES, max_length=None)


def clean_creative_html(html: str, field: str = "html_code") -> str:
    """An HTML or email creative: formatting, links (`{tracking_link}` included) and images."""
    return _clean(html or "", field, _CREATIVE_TAGS, _CREATIVE_ATTRIBUTES)


def _parts(url: str, field: str):
    if any(ord(c) < 33 or ord(c) == 127 for c in url) or "\\" in url:
        raise ContentError(f"{field}: must not contain spaces, control characters or backslashes")
    if len(url) > MAX_URL_LENGTH:
        raise ContentError(f"{field}: at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port
    except ValueError:
        raise ContentError(f"{field}: not a valid URL (check the host and the port)") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ContentError(f"{field}: must start with http:// or https://")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ContentError(f"{field}: must not contain a user name or password")
    if not host:
        raise ContentError(f"{field}: must name a host")
    return parts


def plain_url(url: str | None, field: str, *, required: bool = False) -> str:
    """An http(s) URL without macros (preview, fallback), or "" when optional and empty."""
    url = (url or "").strip()
    if not url:
        if required:
            raise ContentError(f"{field}: required")
        return ""
    parts = _parts(url, field)
    if "{" in parts.netloc or "}" in parts.netloc:
        raise ContentError(f"{field}: must not contain {{ or }} in the host")
    return url


def destination_url(url: str | None, field: str = "destination_url") -> str:
    """A landing page URL: http(s), and macros of DESTINATION_MACROS only in the path, query or fragment."""
    url = (url or "").strip()
    if not url:
        raise ContentError(f"{field}: required")
    parts = _parts(url, field)
    if "{" in parts.netloc or "}" in parts.netloc:
        raise ContentError(f"{field}: macros may appear only after the host, in the path and the query")
    unknown = sorted({name for name in _MACRO.findall(url) if name not in DESTINATION_MACROS})
    if unknown:
        listed = ", ".join("{" + name + "}" for name in unknown)
        raise ContentError(f"{field}: unknown macro {listed}; the macros are "
                           + ", ".join("{" + name + "}" for name in DESTINATION_MACROS))
    leftover = _MACRO.sub("", url)
    if "{" in leftover or "}" in leftover:
        raise ContentError(f"{field}: unbalanced {{ or }} (macros look like {{transaction_id}})")
    return url


def country_codes(text: str | None, field: str = "allowed_countries") -> list[str]:
    """ISO 3166-1 alpha-2 codes from a comma- or space-separated list, upper-cased, unique, in order."""
    codes: list[str] = []
    for raw in re.split(r"[\s,;]+", (text or "").strip()):
        if not raw:
            continue
        code = raw.upper()
        if not re.fullmatch(r"[A-Z]{2}", code) or code not in _ISO_COUNTRIES:
            raise ContentError(f"{field}: {raw[:20]!r} is not an ISO 3166-1 alpha-2 country code (e.g. US, DE)")
        if code not in codes:
            codes.append(code)
    return codes


_ISO_COUNTRIES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO
FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE
JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO
MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW
PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM
TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
""".split())
