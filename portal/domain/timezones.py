"""The Affiliate API's timezone ids (`timezone_id` in bodies, `GET /v1/meta/timezones`), one table for all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Timezone:
    timezone_id: int
    name: str  # what people read in a picker
    iana: str  # the zone the id means

    def utc_offset(self, at: datetime | None = None) -> str:
        """The offset in force at `at` (default now), as +HH:MM; daylight saving moves it."""
        offset = (at or datetime.now(UTC)).astimezone(_ZONES[self.iana]).utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset else 0
        sign = "-" if minutes < 0 else "+"
        return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# Ids below 1000 are Everflow's, as far as the reference notes confirm them (67 and 80–90). Everflow's
# other ids are unknown here, so ours start at 1001: an Everflow id we do not know fails with a 400
# instead of silently meaning a different zone. Scripts may send an IANA name (`timezone`) instead.
TIMEZONES: tuple[Timezone, ...] = (
    Timezone(67, "Coordinated Universal Time (UTC)", "UTC"),
    Timezone(80, "Eastern Time (US & Canada)", "America/New_York"),
    Timezone(85, "Central Time (US & Canada)", "America/Chicago"),
    Timezone(87, "Mountain Time (US & Canada)", "America/Denver"),
    Timezone(89, "Arizona", "America/Phoenix"),
    Timezone(90, "Pacific Time (US & Canada)", "America/Los_Angeles"),
    Timezone(1001, "Alaska", "America/Anchorage"),
    Timezone(1002, "Hawaii", "Pacific/Honolulu"),
    Timezone(1003, "Atlantic Time (Canada)", "America/Halifax"),
    Timezone(1004, "Eastern Time (Toronto)", "America/Toronto"),
    Timezone(1005, "Pacific Time (Vancouver)", "America/Vancouver"),
    Timezone(1006, "Mexico City", "America/Mexico_City"),
    Timezone(1007, "Bogota", "America/Bogota"),
    Timezone(1008, "Sao Paulo", "America/Sao_Paulo"),
    Timezone(1009, "Buenos Aires", "America/Argentina/Buenos_Aires"),
    Timezone(1020, "London", "Europe/London"),
    Timezone(1021, "Dublin", "Europe/Dublin"),
    Timezone(1022, "Lisbon", "Europe/Lisbon"),
    Timezone(1023, "Paris", "Europe/Paris"),
    Timezone(1024, "Berlin", "Europe/Berlin"),
    Timezone(1025, "Amsterdam", "Europe/Amsterdam"),
    Timezone(1026, "Brussels", "Europe/Brussels"),
    Timezone(1027, "Madrid", "Europe/Madrid"),
    Timezone(1028, "Rome", "Europe/Rome"),
    Timezone(1029, "Zurich", "Europe/Zurich"),
    Timezone(1030, "Stockholm", "Europe/Stockholm"),
    Timezone(1031, "Warsaw", "Europe/Warsaw"),
    Timezone(1032, "Prague", "Europe/Prague"),
    Timezone(1033, "Athens", "Europe/Athens"),
    Timezone(1034, "Helsinki", "Europe/Helsinki"),
    Timezone(1035, "Kyiv", "Europe/Kyiv"),
    Timezone(1036, "Istanbul", "Europe/Istanbul"),
    Timezone(1037, "Moscow", "Europe/Moscow"),
    Timezone(1050, "Johannesburg", "Africa/Johannesburg"),
    Timezone(1051, "Lagos", "Africa/Lagos"),
    Timezone(1052, "Cairo", "Africa/Cairo"),
    Timezone(1053, "Nairobi", "Africa/Nairobi"),
    Timezone(1060, "Jerusalem", "Asia/Jerusalem"),
    Timezone(1061, "Dubai", "Asia/Dubai"),
    Timezone(1062, "Karachi", "Asia/Karachi"),
    Timezone(1063, "India (Kolkata)", "Asia/Kolkata"),
    Timezone(1064, "Dhaka", "Asia/Dhaka"),
    Timezone(1065, "Bangkok", "Asia/Bangkok"),
    Timezone(1066, "Ho Chi Minh City", "Asia/Ho_Chi_Minh"),
    Timezone(1067, "Jakarta", "Asia/Jakarta"),
    Timezone(1068, "Singapore", "Asia/Singapore"),
    Timezone(1069, "Kuala Lumpur", "Asia/Kuala_Lumpur"),
    Timezone(1070, "Manila", "Asia/Manila"),
    Timezone(1071, "Hong Kong", "Asia/Hong_Kong"),
    Timezone(1072, "Shanghai", "Asia/Shanghai"),
    Timezone(1073, "Taipei", "Asia/Taipei"),
    Timezone(1074, "Seoul", "Asia/Seoul"),
    Timezone(1075, "Tokyo", "Asia/Tokyo"),
    Timezone(1090, "Perth", "Australia/Perth"),
    Timezone(1091, "Sydney", "Australia/Sydney"),
    Timezone(1092, "Auckland", "Pacific/Auckland"),
)

# Held here because ZoneInfo's own cache keeps only a few zones alive and re-reads the rest from disk.
_ZONES = {tz.iana: ZoneInfo(tz.iana) for tz in TIMEZONES}
_BY_ID = {tz.timezone_id: tz for tz in TIMEZONES}
_BY_IANA = {tz.iana: tz for tz in TIMEZONES}


def by_id(timezone_id: int) -> Timezone | None:
    return _BY_ID.get(timezone_id)


def by_iana(name: str) -> Timezone | None:
    return _BY_IANA.get(name)
