"""The upstream's streamed conversion export (reporting/conversions/export), read as it arrives.

The request asks for `json` (Everflow's format) and says in its Accept header that Apache Arrow's IPC
stream is preferred; the answer's Content-Type tells which came back.

* Arrow (this portal's own Network API): record batches of typed columns, read one at a time without
  parsing, checked and mapped column by column (portal.affiliate.upstream.arrow_export).
* JSON (Everflow): one array of conversion objects, decoded object by object (json's own C scanner over a
  sliding window of text), each checked and mapped (mapping.conversion_row) before it joins a batch.

Either way memory holds one network chunk and one batch, whatever the file's size. A body that breaks off,
or is not what its Content-Type says, fails the export; the row-count check behind it reports one that
ends short.
"""

from __future__ import annotations

import codecs
import json
import logging
import re
from collections.abc import Iterable, Iterator

import pandas as pd
import requests

from portal.affiliate.upstream import arrow_export, mapping
from portal.affiliate.upstream.arrow_export import ARROW_STREAM, FOREIGN, UNREADABLE
from portal.domain.errors import UpstreamRefused, UpstreamUnavailable

log = logging.getLogger(__name__)

ROW_COUNT_HEADER = "X-Row-Count"  # sent by this portal's Network API; Everflow sends none
CHUNK_BYTES = 256 * 1024
MAX_OBJECT_CHARS = 4 * 1024 * 1024  # one conversion object never comes near this
_SPACE = re.compile(r"[ \t\n\r]*")
ACCEPT = f"{ARROW_STREAM}, application/json;q=0.5"  # Arrow preferred; Everflow ignores it and sends JSON


def row_count(response: requests.Response) -> int | None:
    """The export's own count of its rows, when the upstream sends one (a plain whole number)."""
    raw = response.headers.get(ROW_COUNT_HEADER, "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 15 else None


def json_objects(chunks: Iterable[bytes]) -> Iterator[dict]:
    """The objects of a JSON array of objects, decoded as the bytes arrive; UpstreamRefused for anything else."""
    decoder, utf8 = json.JSONDecoder(), codecs.getincrementaldecoder("utf-8")()
    text, pos = "", 0
    opened = closed = False
    item_due = first = True
    iterator, final = iter(chunks), False
    while not final:
        chunk = next(iterator, None)
        final = chunk is None
        try:
            text = text[pos:] + utf8.decode(chunk or b"", final=final)
        except UnicodeDecodeError:
            raise UpstreamRefused(UNREADABLE) from None
        pos = 0
        while True:
            pos = _SPACE.match(text, pos).end()
            if pos >= len(text):
                break
            if closed:
                raise UpstreamRefused(UNREADABLE)  # something after the array
            c = text[pos]
            if not opened:
                if c != "[":
                    raise UpstreamRefused(UNREADABLE)
                opened, pos = True, pos + 1
            elif item_due:
                if c == "]" and first:
                    closed, pos = True, pos + 1
                    continue
                if c != "{":
                    raise UpstreamRefused(UNREADABLE)
                try:
                    found, pos = decoder.raw_decode(text, pos)
                except json.JSONDecodeError:
                    if final or len(text) - pos > MAX_OBJECT_CHARS:
                        raise UpstreamRefused(UNREADABLE) from None
                    break  # the object goes on in the next chunk
                item_due = first = False
                yield found
            elif c == ",":
                item_due, pos = True, pos + 1
            elif c == "]":
                closed, pos = True, pos + 1
            else:
                raise UpstreamRefused(UNREADABLE)
    if not closed:
        raise UpstreamRefused(UNREADABLE)


def is_arrow(response: requests.Response) -> bool:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower() == ARROW_STREAM


def batches(response: requests.Response, affiliate_id: int, currency: str,
            batch_size: int) -> Iterator[list[tuple] | pd.DataFrame]:
    """The partner's conversions of a streamed export in batches (CONVERSION_FIELDS tuples from JSON, a
    DataFrame of those columns from Arrow); the response is closed when the iterator ends or is closed."""
    if is_arrow(response):
        return arrow_export.batches(response, affiliate_id, currency, batch_size)
    return _json_batches(response, affiliate_id, currency, batch_size)


def _json_batches(response: requests.Response, affiliate_id: int, currency: str,
                  batch_size: int) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    try:
        for found in json_objects(response.iter_content(CHUNK_BYTES)):
            if not mapping.belongs(found, affiliate_id):
                log.error("upstream: a conversion export held rows of another affiliate (or unreadable ones)")
                raise UpstreamRefused(FOREIGN)
            with mapping.refused():  # an amount no money can be is the upstream's fault: a 502
                batch.append(mapping.conversion_row(found, currency))
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch
    except requests.RequestException as err:  # the body broke off or stalled
        log.warning("upstream conversion export: %s while reading", type(err).__name__)
        raise UpstreamUnavailable(30) from None
    finally:
        response.close()
