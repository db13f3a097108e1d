"""Staff upload an offer's product feeds (the file in storage, its metadata here), change their validity
and status, and delete them; every change audited."""

from __future__ import annotations

from datetime import datetime

from portal.extensions import db
from portal.models import Offer, ProductFeed
from portal.services import audit
from portal.services.uploads import Upload
from portal.storage import FileStore


class FeedError(ValueError):
    """A product feed that cannot be saved; the message names the field."""


def _validity(values: dict) -> tuple[datetime | None, datetime | None]:
    start, end = values.get("valid_from"), values.get("valid_to")
    if start and end and end < start:
        raise FeedError("valid_to: on or after valid_from")
    return start, end


def create_feed(offer: Offer, values: dict, upload: Upload, store: FileStore, actor, *,
                ip: str | None = None) -> ProductFeed:
    name = (values.get("name") or "").strip()
    if not name:
        raise FeedError("name: required")
    if values.get("status") not in ("active", "paused"):
        raise FeedError("status: active or paused")
    valid_from, valid_to = _validity(values)
    feed = ProductFeed(offer_id=offer.id, name=name, status=values["status"], filename=upload.filename,
                       content_type=upload.content_type, file_size=upload.size, valid_from=valid_from,
                       valid_to=valid_to, file_key=store.save(upload.stream(), upload.suffix))
    db.session.add(feed)
    db.session.flush()
    audit.record("product_feed.created", actor=actor, target=feed, ip=ip,
                 detail={"offer_id": offer.id, "name": name, "filename": feed.filename, "size": feed.file_size})
    db.session.commit()
    return feed


def set_feed_status(feed: ProductFeed, status: str, actor, *, ip: str | None = None) -> bool:
    if status not in ("active", "paused"):
        raise FeedError("status: active or paused")
    if feed.status == status:
        return False
    audit.record("product_feed.paused" if status == "paused" else "product_feed.resumed", actor=actor,
                 target=feed, ip=ip, detail={"offer_id": feed.offer_id, "from": feed.status, "to": status})
    feed.status = status
    db.session.commit()
    return True


def delete_feed(feed: ProductFeed, store: FileStore, actor, *, ip: str | None = None) -> None:
    key = feed.file_key
    audit.record("product_feed.deleted", actor=actor, target=feed, ip=ip,
                 detail={"offer_id": feed.offer_id, "name": feed.name, "filename": feed.filename})
    db.session.delete(feed)
    db.session.commit()
    store.delete(key)
