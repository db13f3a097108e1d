"""Cursor paging and the common list filters (PartnerStack's): `limit`, `starting_after` / `ending_before`
(an item's key), `min_created`, `max_created`, `min_updated`, `max_updated` (epoch milliseconds).

Lists run newest first (created_at, then id, both descending). `starting_after=K` gives the items after
K in that order (older ones), `ending_before=K` the ones before it (newer ones), still newest first;
`has_more` says whether more lie beyond the page in the direction being read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import request
from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from portal.api.network.errors import bad_request
from portal.extensions import db

MAX_LIMIT = 250
DEFAULT_LIMIT = 10
MAX_KEY = 255
MAX_FILTER = 255  # a text filter's value
# Epoch milliseconds from 1970 to the end of 9999: what a datetime can hold.
MAX_EPOCH_MS = 253_402_300_799_998
ONE_MS = timedelta(milliseconds=1)


@dataclass(frozen=True)
class Paging:
    limit: int = DEFAULT_LIMIT
    starting_after: str | None = None
    ending_before: str | None = None
    min_created: datetime | None = None
    max_created: datetime | None = None
    min_updated: datetime | None = None
    max_updated: datetime | None = None


def from_request() -> Paging:
    args = request.args
    limit = _whole(args, "limit", DEFAULT_LIMIT)
    if not 1 <= limit <= MAX_LIMIT:
        raise bad_request("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
    after, before = text_arg("starting_after", MAX_KEY), text_arg("ending_before", MAX_KEY)
    if after and before:
        raise bad_request("starting_after", "cannot be combined with ending_before; page one way at a time")
    times = {name: _epoch_ms(args, name) for name in ("min_created", "max_created", "min_updated", "max_updated")}
    return Paging(limit=limit, starting_after=after, ending_before=before, **times)


def text_arg(name: str, limit: int) -> str | None:
    """A text query parameter (None when absent or empty): at most `limit` characters, no NUL."""
    value = request.args.get(name) or None
    if value is not None and (len(value) > limit or "\x00" in value):
        raise bad_request(name, f"text of at most {limit} characters, without NUL characters")
    return value


def plausible_key(key: str) -> bool:
    """Whether an item key from a path could exist at all (else it is simply not found)."""
    return len(key) <= MAX_KEY and "\x00" not in key


def _whole(args, name: str, default: int) -> int:
    """A whole number in ASCII digits; `default` when the parameter is absent (given but empty is an error)."""
    if name not in args:
        return default
    raw = args[name].strip()
    digits = raw.removeprefix("-")
    if not (digits.isascii() and digits.isdigit()):
        raise bad_request(name, "must be a whole number")
    return int(raw)


def _epoch_ms(args, name: str) -> datetime | None:
    if name not in args:
        return None
    value = _whole(args, name, 0)
    if not 0 <= value <= MAX_EPOCH_MS:
        raise bad_request(name, "must be a time in epoch milliseconds, 0 or more")
    return datetime.fromtimestamp(value / 1000, UTC)


def time_filters(paging: Paging, created: InstrumentedAttribute, updated: InstrumentedAttribute) -> list:
    """Bounds included. Stored times have microseconds: a maximum covers its whole millisecond, so the
    created_at an item was listed with, passed back as max_created, still matches that item."""
    conditions = []
    if paging.min_created is not None:
        conditions.append(created >= paging.min_created)
    if paging.max_created is not None:
        conditions.append(created < paging.max_created + ONE_MS)
    if paging.min_updated is not None:
        conditions.append(updated >= paging.min_updated)
    if paging.max_updated is not None:
        conditions.append(updated < paging.max_updated + ONE_MS)
    return conditions


def fetch(stmt: Select, paging: Paging, *, key: InstrumentedAttribute, created: InstrumentedAttribute,
          ident: InstrumentedAttribute, scope: list) -> tuple[list, bool]:
    """One page of `stmt` (already filtered, including by `scope`), and whether more lie beyond it.

    The cursor item is looked up within `scope`, so a key the caller may not see is unknown to it."""
    cursor_key = paging.starting_after or paging.ending_before
    if cursor_key is not None:
        anchor = db.session.execute(select(created, ident).where(key == cursor_key, *scope)).first()
        if anchor is None:
            name = "starting_after" if paging.starting_after else "ending_before"
            raise bad_request(name, "no item in this list has this key")
        at, anchor_id = anchor
        older = or_(created < at, and_(created == at, ident < anchor_id))
        newer = or_(created > at, and_(created == at, ident > anchor_id))
        if paging.ending_before:
            rows = list(db.session.scalars(stmt.where(newer).order_by(created.asc(), ident.asc())
                                           .limit(paging.limit + 1)))
            return list(reversed(rows[:paging.limit])), len(rows) > paging.limit
        stmt = stmt.where(older)
    rows = list(db.session.scalars(stmt.order_by(created.desc(), ident.desc()).limit(paging.limit + 1)))
    return rows[:paging.limit], len(rows) > paging.limit
