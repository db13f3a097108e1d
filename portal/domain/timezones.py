"""Timezone ids: Everflow's own table (`timezone_id`, `GET /v1/meta/timezones`), and IANA names beside it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones


@dataclass(frozen=True, slots=True)
class Timezone:
    timezone_id: int  # Everflow's id
    name: str  # what people read in a picker (Everflow's `timezone_name` is a display string too)
    iana: str  # the zone the id means, spelt as Everflow's `timezone` spells it

    def utc_offset(self, at: datetime | None = None) -> str:
        """The offset in force at `at` (default now), as +HH:MM; daylight saving moves it."""
        offset = (at or datetime.now(UTC)).astimezone(_ZONES[self.iana]).utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset else 0
        sign = "-" if minutes < 0 else "+"
        return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# Everflow's table, ids 1-99 in Everflow's order (east to west), as GET /v1/meta/timezones answers on Everflow
# and its developer docs list it (developers.everflow.io/user-guide/timezones). The IANA names are Everflow's
# even where the tz database now calls the zone otherwise (Asia/Rangoon is Asia/Yangon, Pacific/Enderbury is
# Pacific/Kanton): the tz database keeps those names as links, and a script matching on `timezone` finds
# Everflow's spelling here.
TIMEZONES: tuple[Timezone, ...] = (
    Timezone(1, "Kiritimati (Line Islands)", "Pacific/Kiritimati"),
    Timezone(2, "Phoenix Islands (Kanton)", "Pacific/Enderbury"),
    Timezone(3, "Tonga (Nuku'alofa)", "Pacific/Tongatapu"),
    Timezone(4, "Chatham Islands", "Pacific/Chatham"),
    Timezone(5, "Auckland, Wellington", "Pacific/Auckland"),
    Timezone(6, "Fiji", "Pacific/Fiji"),
    Timezone(7, "Kamchatka", "Asia/Kamchatka"),
    Timezone(8, "Norfolk Island", "Pacific/Norfolk"),
    Timezone(9, "Lord Howe Island", "Australia/Lord_Howe"),
    Timezone(10, "Solomon Islands (Guadalcanal)", "Pacific/Guadalcanal"),
    Timezone(11, "Adelaide", "Australia/Adelaide"),
    Timezone(12, "Sydney", "Australia/Sydney"),
    Timezone(13, "Brisbane", "Australia/Brisbane"),
    Timezone(14, "Darwin", "Australia/Darwin"),
    Timezone(15, "Seoul", "Asia/Seoul"),
    Timezone(16, "Tokyo", "Asia/Tokyo"),
    Timezone(17, "Hong Kong", "Asia/Hong_Kong"),
    Timezone(18, "Kuala Lumpur", "Asia/Kuala_Lumpur"),
    Timezone(19, "Manila", "Asia/Manila"),
    Timezone(20, "Beijing, Shanghai", "Asia/Shanghai"),
    Timezone(21, "Singapore", "Asia/Singapore"),
    Timezone(22, "Taipei", "Asia/Taipei"),
    Timezone(23, "Perth", "Australia/Perth"),
    Timezone(24, "Bangkok", "Asia/Bangkok"),
    Timezone(25, "Ho Chi Minh City", "Asia/Ho_Chi_Minh"),
    Timezone(26, "Jakarta", "Asia/Jakarta"),
    Timezone(27, "Yangon (Rangoon)", "Asia/Rangoon"),
    Timezone(28, "Dhaka", "Asia/Dhaka"),
    Timezone(29, "Kathmandu", "Asia/Kathmandu"),
    Timezone(30, "Colombo", "Asia/Colombo"),
    Timezone(31, "India (Kolkata)", "Asia/Kolkata"),
    Timezone(32, "Karachi", "Asia/Karachi"),
    Timezone(33, "Tashkent", "Asia/Tashkent"),
    Timezone(34, "Yekaterinburg", "Asia/Yekaterinburg"),
    Timezone(35, "Kabul", "Asia/Kabul"),
    Timezone(36, "Baku", "Asia/Baku"),
    Timezone(37, "Dubai", "Asia/Dubai"),
    Timezone(38, "Tbilisi", "Asia/Tbilisi"),
    Timezone(39, "Yerevan", "Asia/Yerevan"),
    Timezone(40, "Tehran", "Asia/Tehran"),
    Timezone(41, "Nairobi", "Africa/Nairobi"),
    Timezone(42, "Baghdad", "Asia/Baghdad"),
    Timezone(43, "Kuwait", "Asia/Kuwait"),
    Timezone(44, "Riyadh", "Asia/Riyadh"),
    Timezone(45, "Minsk", "Europe/Minsk"),
    Timezone(46, "Moscow", "Europe/Moscow"),
    Timezone(47, "Cairo", "Africa/Cairo"),
    Timezone(48, "Beirut", "Asia/Beirut"),
    Timezone(49, "Jerusalem", "Asia/Jerusalem"),
    Timezone(50, "Athens", "Europe/Athens"),
    Timezone(51, "Bucharest", "Europe/Bucharest"),
    Timezone(52, "Helsinki", "Europe/Helsinki"),
    Timezone(53, "Istanbul", "Europe/Istanbul"),
    Timezone(54, "Johannesburg", "Africa/Johannesburg"),
    Timezone(55, "Amsterdam", "Europe/Amsterdam"),
    Timezone(56, "Berlin", "Europe/Berlin"),
    Timezone(57, "Brussels", "Europe/Brussels"),
    Timezone(58, "Paris", "Europe/Paris"),
    Timezone(59, "Prague", "Europe/Prague"),
    Timezone(60, "Rome", "Europe/Rome"),
    Timezone(61, "Lisbon", "Europe/Lisbon"),
    Timezone(62, "Algiers", "Africa/Algiers"),
    Timezone(63, "London", "Europe/London"),
    Timezone(64, "Cape Verde", "Atlantic/Cape_Verde"),
    Timezone(65, "Casablanca", "Africa/Casablanca"),
    Timezone(66, "Dublin", "Europe/Dublin"),
    Timezone(67, "Coordinated Universal Time (UTC)", "UTC"),
    Timezone(68, "Ittoqqortoormiit (Scoresbysund)", "America/Scoresbysund"),
    Timezone(69, "Azores", "Atlantic/Azores"),
    Timezone(70, "South Georgia", "Atlantic/South_Georgia"),
    Timezone(71, "Newfoundland (St. John's)", "America/St_Johns"),
    Timezone(72, "Sao Paulo", "America/Sao_Paulo"),
    Timezone(73, "Buenos Aires", "America/Argentina/Buenos_Aires"),
    Timezone(74, "Santiago", "America/Santiago"),
    Timezone(75, "Atlantic Time (Halifax)", "America/Halifax"),
    Timezone(76, "Puerto Rico", "America/Puerto_Rico"),
    Timezone(77, "Bermuda", "Atlantic/Bermuda"),
    Timezone(78, "Caracas", "America/Caracas"),
    Timezone(79, "Indiana (East)", "America/Indiana/Indianapolis"),
    Timezone(80, "Eastern Time (US & Canada)", "America/New_York"),
    Timezone(81, "Bogota", "America/Bogota"),
    Timezone(82, "Lima", "America/Lima"),
    Timezone(83, "Panama", "America/Panama"),
    Timezone(84, "Mexico City", "America/Mexico_City"),
    Timezone(85, "Central Time (US & Canada)", "America/Chicago"),
    Timezone(86, "El Salvador", "America/El_Salvador"),
    Timezone(87, "Mountain Time (US & Canada)", "America/Denver"),
    Timezone(88, "Mazatlan", "America/Mazatlan"),
    Timezone(89, "Arizona", "America/Phoenix"),
    Timezone(90, "Pacific Time (US & Canada)", "America/Los_Angeles"),
    Timezone(91, "Tijuana", "America/Tijuana"),
    Timezone(92, "Pitcairn Islands", "Pacific/Pitcairn"),
    Timezone(93, "Alaska", "America/Anchorage"),
    Timezone(94, "Gambier Islands", "Pacific/Gambier"),
    Timezone(95, "Aleutian Islands (Adak)", "America/Adak"),
    Timezone(96, "Marquesas Islands", "Pacific/Marquesas"),
    Timezone(97, "Hawaii", "Pacific/Honolulu"),
    Timezone(98, "Niue", "Pacific/Niue"),
    Timezone(99, "American Samoa (Pago Pago)", "Pacific/Pago_Pago"),
)

# Held here because ZoneInfo's own cache keeps only a few zones alive and re-reads the rest from disk.
_ZONES = {tz.iana: ZoneInfo(tz.iana) for tz in TIMEZONES}
_BY_ID = {tz.timezone_id: tz for tz in TIMEZONES}
_BY_IANA = {tz.iana: tz for tz in TIMEZONES}

# Every zone name a request may give as `timezone` (our extension) and staff may give a partner or the network:
# the tz database's, less what names no zone ("localtime" is whatever the host is set to; "Factory" is a
# placeholder). Only names from this set ever reach ZoneInfo, so a request cannot make it open another file.
IANA_NAMES: frozenset[str] = frozenset(available_timezones() | _BY_IANA.keys()) - {"localtime", "Factory"}

# The years over which two zones must keep the same clock for one to stand for the other (see reported()).
_SAME_CLOCK_FROM = datetime(2000, 1, 1, 12, tzinfo=UTC)
_SAME_CLOCK_UNTIL = datetime(2038, 1, 1, 12, tzinfo=UTC)
_DAY = timedelta(days=1)
_FINE_STEP = timedelta(minutes=15)


def by_id(timezone_id: int) -> Timezone | None:
    return _BY_ID.get(timezone_id)


def by_iana(name: str) -> Timezone | None:
    """The table's zone of that exact name (Everflow's spelling)."""
    return _BY_IANA.get(name)


def is_zone(name: object) -> bool:
    return isinstance(name, str) and name in IANA_NAMES


def reported(name: str) -> Timezone | None:
    """The table zone that stands for zone `name` where Everflow's shapes want an id (`timezone_id` of the account,
    the network, an invoice): the zone itself when the table has it; otherwise the first zone of the table that
    keeps the same clock, the same UTC offset at every moment from 2000 through 2037 (a link such as Asia/Yangon
    gets Asia/Rangoon's 27, Europe/Madrid gets Amsterdam's 55, America/Toronto New York's 80), so a script that
    sends the id back gets the same days and hours; None when no zone of the table keeps that clock (Australia/Eucla,
    say). Never an id of our own: every id is Everflow's."""
    found = by_iana(name)
    if found is not None or not is_zone(name):
        return found
    return _same_clock_zone(name)


def reported_id(name: str) -> int | None:
    found = reported(name)
    return found.timezone_id if found is not None else None


@cache
def _same_clock_zone(name: str) -> Timezone | None:
    zone = ZoneInfo(name)
    probes = [datetime(year, month, 15, tzinfo=UTC) for year in (2001, 2013, 2026) for month in (1, 4, 7, 10)]
    for candidate in TIMEZONES:
        other = _ZONES[candidate.iana]
        if all(_offset(p, zone) == _offset(p, other) for p in probes) and _same_clock(zone, other):
            return candidate
    return None


def _offset(moment: datetime, zone: ZoneInfo) -> timedelta | None:
    return moment.astimezone(zone).utcoffset()


def _same_clock(zone: ZoneInfo, other: ZoneInfo) -> bool:
    """The same UTC offset at each day's noon (UTC) and, on a day either clock changes, every quarter hour."""
    noon, before = _SAME_CLOCK_FROM, None
    while noon < _SAME_CLOCK_UNTIL:
        here = (_offset(noon, zone), _offset(noon, other))
        if here[0] != here[1]:
            return False
        if before is not None and here != before:
            moment = noon - _DAY
            while moment < noon:
                if _offset(moment, zone) != _offset(moment, other):
                    return False
                moment += _FINE_STEP
        before = here
        noon += _DAY
    return True
