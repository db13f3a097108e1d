"""Staff add, pause, resume and delete an offer's creatives: banners (stored images), HTML, text links and
emails (HTML sanitised on save); every change audited."""

from __future__ import annotations

from portal.extensions import db
from portal.models import Creative, Offer
from portal.services import audit
from portal.services.offer_content import ContentError, clean_creative_html
from portal.services.uploads import Upload
from portal.storage import FileStore


class CreativeError(ValueError):
    """A creative that cannot be saved; the message names the field."""


def _required(values: dict, name: str) -> str:
    value = (values.get(name) or "").strip()
    if not value:
        raise CreativeError(f"{name}: required for this kind of creative")
    return value


def create_creative(offer: Offer, values: dict, actor, *, ip: str | None = None, image: Upload | None = None,
                    store: FileStore | None = None) -> Creative:
    """values: name, creative_type, and by type html_code (html, email), text (text), email_subject and
    email_from (email); an image creative takes the checked upload."""
    kind = values.get("creative_type")
    name = (values.get("name") or "").strip()
    if not name:
        raise CreativeError("name: required")
    creative = Creative(offer_id=offer.id, name=name, creative_type=kind, status="active")
    try:
        if kind == "image":
            if image is None or store is None:
                raise CreativeError("file: choose a PNG, JPEG, GIF or WebP image")
            creative.filename, creative.content_type = image.filename, image.content_type
            creative.file_size, creative.width, creative.height = image.size, image.width, image.height
        elif kind == "html":
            creative.html_code = clean_creative_html(_required(values, "html_code"))
        elif kind == "text":
            creative.text = _required(values, "text")
        elif kind == "email":
            creative.email_subject = _required(values, "email_subject")
            creative.email_from = _required(values, "email_from")
            creative.html_code = clean_creative_html(_required(values, "html_code"))
        else:
            raise CreativeError("creative_type: image, html, text or email")
    except ContentError as err:
        raise CreativeError(str(err)) from None
    if kind == "image":
        creative.file_key = store.save(image.stream(), image.suffix)  # last: nothing stored for a refused form
    db.session.add(creative)
    db.session.flush()
    audit.record("creative.created", actor=actor, target=creative, ip=ip,
                 detail={"offer_id": offer.id, "name": name, "creative_type": kind,
                         **({"filename": creative.filename, "size": creative.file_size} if kind == "image" else {})})
    db.session.commit()
    return creative


def set_creative_status(creative: Creative, status: str, actor, *, ip: str | None = None) -> bool:
    if status not in ("active", "paused"):
        raise CreativeError("status: active or paused")
    if creative.status == status:
        return False
    audit.record("creative.paused" if status == "paused" else "creative.resumed", actor=actor, target=creative,
                 ip=ip, detail={"offer_id": creative.offer_id, "from": creative.status, "to": status})
    creative.status = status
    db.session.commit()
    return True


def delete_creative(creative: Creative, actor, *, ip: str | None = None, store: FileStore | None = None) -> None:
    key = creative.file_key
    audit.record("creative.deleted", actor=actor, target=creative, ip=ip,
                 detail={"offer_id": creative.offer_id, "name": creative.name, "creative_type": creative.creative_type})
    db.session.delete(creative)
    db.session.commit()
    if key and store is not None:
        store.delete(key)  # after the commit: the row never points at a file that is gone
