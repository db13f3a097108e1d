"""Where a visitor is: country (and region and city, when the database has them) from an offline database.

Sources, first match wins: a trusted proxy's country header (PORTAL_GEOIP_COUNTRY_HEADER, e.g.
CF-IPCountry); else the database — PORTAL_GEOIP_DATABASE (a MaxMind `.mmdb`, or a GeoIP2Fast `.dat.gz`),
or by default the IPv4+IPv6 country database the geoip2fast package ships. A database is opened once per
process, on the first lookup (a lock keeps concurrent first requests from opening it twice), and kept.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

_COUNTRY = re.compile(r"[A-Z]{2}")
_NOT_A_COUNTRY = {"XX", "T1", "ZZ"}  # proxies' and databases' "unknown" and "Tor" codes
_DEFAULT_GEOIP2FAST = "geoip2fast-ipv6.dat.gz"  # the shipped file that covers both IPv4 and IPv6
_readers: dict[str, object] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Place:
    country: str | None = None  # ISO 3166-1 alpha-2, upper case; None when unknown
    region: str | None = None
    city: str | None = None


UNKNOWN = Place()


def country_code(value: str | None) -> str | None:
    """A two-letter country code, or None for anything else (including proxies' unknown markers)."""
    code = (value or "").strip().upper()
    return code if _COUNTRY.fullmatch(code) and code not in _NOT_A_COUNTRY else None


def locate(ip: str | None, database: str | None, header_value: str | None = None) -> Place:
    """The visitor's place; the trusted header's country wins when it names one."""
    from_header = country_code(header_value)
    if from_header:
        return Place(from_header)
    if not ip:
        return UNKNOWN
    try:
        return _lookup(_reader(database or ""), ip)
    except ValueError:  # not an address the database understands
        return UNKNOWN


def _reader(database: str):
    reader = _readers.get(database)
    if reader is None:
        with _lock:
            reader = _readers.get(database)
            if reader is None:
                reader = _readers[database] = _open(database)
    return reader


def _open(database: str):
    if database.endswith(".mmdb"):
        import maxminddb  # only operators with a MaxMind file need it loaded

        return maxminddb.open_database(database)
    from geoip2fast import GeoIP2Fast

    return GeoIP2Fast(verbose=False, geoip2fast_data_file=database or _DEFAULT_GEOIP2FAST)


def _lookup(reader, ip: str) -> Place:
    if hasattr(reader, "lookup"):  # GeoIP2Fast
        found = reader.lookup(ip)
        city = getattr(found, "city", None)
        return Place(country_code(found.country_code),
                     _text(getattr(city, "subdivision_name", None)), _text(getattr(city, "name", None)))
    record = reader.get(ip) or {}  # maxminddb: a GeoIP2/GeoLite2 Country or City record
    country = (record.get("country") or record.get("registered_country") or {}).get("iso_code")
    subdivisions = record.get("subdivisions") or [{}]
    region = (subdivisions[0].get("names") or {}).get("en") or subdivisions[0].get("iso_code")
    city = ((record.get("city") or {}).get("names") or {}).get("en")
    return Place(country_code(country), _text(region), _text(city))


def _text(value) -> str | None:
    return value[:100] if isinstance(value, str) and value else None

