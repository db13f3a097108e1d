"""The upstream's streamed conversion export (reporting/conversions/export, format json), read as it arrives.

The body is one JSON array of conversion objects. It is decoded object by object (json's own C scanner
over a sliding window of text), so memory holds one network chunk and one batch, whatever the file's
size. Every object is checked to be the partner's (a foreign one fails the export: the upstream ignored
the affiliate filter) and mapped to the partner's fields before it joins a batch. A body that breaks off,
or is not such an array, fails the export too; the row-count check behind it reports one that ends short.
"""

from __future__ import annotations

import codecs
import json
import logging
import re
from collections.abc import Iterable, Iterator

import requests

from portal.affiliate.upstream import mapping
from portal.domain.errors import UpstreamRefused, UpstreamUnavailable

log = logging.getLogger(__name__)

ROW_COUNT_HEADER = "X-Row-Count"  # sent by this portal's Network API; Everflow sends none
CHUNK_BYTES = 256 * 1024
MAX_OBJECT_CHARS = 4 * 1024 * 1024  # one conversion object never comes near this
UNREADABLE = "The network's tracking platform sent an export this portal cannot read"
FOREIGN = "The network's tracking platform answered with another affiliate's data; nothing is shown"
_SPACE = re.compile(r"[ \t\n\r]*")


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


def batches(response: requests.Response, affiliate_id: int, currency: str, batch_size: int) -> Iterator[list[tuple]]:
    """The partner's conversions of a streamed export, CONVERSION_FIELDS tuples in batches; the response is
    closed when the iterator ends or is closed."""
    batch: list[tuple] = []
    try:
        for found in json_objects(response.iter_content(CHUNK_BYTES)):
            if not mapping.belongs(found, affiliate_id):
                log.error("upstream: a conversion export held rows of another affiliate (or unreadable ones)")
                raise UpstreamRefused(FOREIGN)
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
