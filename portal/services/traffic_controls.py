"""Staff create, edit, deactivate and reactivate traffic controls; every change audited in its transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from portal.domain.traffic import COMPARISONS, CONTROL_STATUSES, CONTROL_TYPES, VARIABLES, clean_values
from portal.extensions import db
from portal.models import Offer, Partner, TrafficControl, TrafficControlOffer, TrafficControlPartner
from portal.models.base import utcnow
from portal.services import audit

MAX_SCOPE_IDS = 1000
MAX_ID = 2**31 - 1


class TrafficControlError(ValueError):
    """A rule staff cannot save: the message starts with the form field it is about ("values: …")."""


def _ids(raw, field: str, model) -> list[int]:
    """Ids of existing offers or partners, in the order given, without repeats; TrafficControlError if one is
    not a plain positive number or names nothing."""
    ids: list[int] = []
    for item in raw or ():
        if isinstance(item, bool) or not isinstance(item, int) or not 0 < item <= MAX_ID:
            raise TrafficControlError(f"{field}: ids are positive whole numbers")
        if item not in ids:
            ids.append(item)
    if len(ids) > MAX_SCOPE_IDS:
        raise TrafficControlError(f"{field}: at most {MAX_SCOPE_IDS}")
    found = set(db.session.scalars(select(model.id).where(model.id.in_(ids)))) if ids else set()
    missing = [i for i in ids if i not in found]
    if missing:
        raise TrafficControlError(f"{field}: no such id: {', '.join(map(str, missing[:10]))}")
    return ids


def _checked(values: dict) -> dict:
    name = (values.get("name") or "").strip()
    if not name or len(name) > 200:
        raise TrafficControlError("name: 1 to 200 characters")
    for field, allowed in (("status", CONTROL_STATUSES), ("control_type", CONTROL_TYPES), ("variable", VARIABLES),
                           ("comparison_method", COMPARISONS)):
        if values.get(field) not in allowed:
            raise TrafficControlError(f"{field}: one of {', '.join(allowed)}")
    kept, problems = clean_values(values.get("values") or [], values["variable"], values["comparison_method"])
    if problems:
        raise TrafficControlError(f"values: {problems[0]}")
    if not kept:
        raise TrafficControlError("values: at least one value")
    starts, ends = values.get("date_valid_from"), values.get("date_valid_to")
    for field, moment in (("date_valid_from", starts), ("date_valid_to", ends)):
        if moment is not None and (not isinstance(moment, datetime) or moment.tzinfo is None):
            raise TrafficControlError(f"{field}: a time in UTC")
    if starts is not None and ends is not None and ends <= starts:
        raise TrafficControlError("date_valid_to: after the start")
    return {"name": name, "status": values["status"], "control_type": values["control_type"],
            "variable": values["variable"], "comparison_method": values["comparison_method"], "values": kept,
            "date_valid_from": starts, "date_valid_to": ends,
            "offer_ids": _ids(values.get("offer_ids"), "offer_ids", Offer),
            "partner_ids": _ids(values.get("partner_ids"), "partner_ids", Partner)}


def _audited(control: TrafficControl, checked: dict) -> dict:
    return {**{k: v for k, v in checked.items() if not k.startswith("date_")},
            "date_valid_from": control.date_valid_from.isoformat() if control.date_valid_from else None,
            "date_valid_to": control.date_valid_to.isoformat() if control.date_valid_to else None}


def _apply(control: TrafficControl, checked: dict) -> None:
    for name in ("name", "status", "control_type", "variable", "comparison_method", "values", "date_valid_from",
                 "date_valid_to"):
        setattr(control, name, checked[name])
    control.is_apply_all_offers = not checked["offer_ids"]
    control.is_apply_all_affiliates = not checked["partner_ids"]
    db.session.flush()
    db.session.execute(delete(TrafficControlOffer).where(TrafficControlOffer.traffic_control_id == control.id))
    db.session.execute(delete(TrafficControlPartner).where(TrafficControlPartner.traffic_control_id == control.id))
    db.session.add_all([TrafficControlOffer(traffic_control_id=control.id, offer_id=i) for i in checked["offer_ids"]])
    db.session.add_all([TrafficControlPartner(traffic_control_id=control.id, partner_id=i)
                        for i in checked["partner_ids"]])


def create_control(values: dict, actor, *, ip: str | None = None) -> TrafficControl:
    checked = _checked(values)
    control = TrafficControl(created_by_id=getattr(actor, "id", None))
    db.session.add(control)
    _apply(control, checked)
    audit.record("traffic_control.created", actor=actor, target=control, ip=ip, detail=_audited(control, checked))
    db.session.commit()
    return control


def update_control(control: TrafficControl, values: dict, actor, *, ip: str | None = None) -> None:
    checked = _checked(values)
    _apply(control, checked)
    # Saved now even when only its offers or partners changed (rows of other tables, which the column's
    # onupdate never sees): partners' scripts poll the Affiliate API by time_saved.
    control.updated_at = utcnow()
    audit.record("traffic_control.updated", actor=actor, target=control, ip=ip, detail=_audited(control, checked))
    db.session.commit()


def set_control_status(control: TrafficControl, status: str, actor, *, ip: str | None = None) -> bool:
    """Deactivate or reactivate; False when it already had that status."""
    if status not in CONTROL_STATUSES:
        raise TrafficControlError(f"status: one of {', '.join(CONTROL_STATUSES)}")
    if control.status == status:
        return False
    audit.record("traffic_control.deactivated" if status == "inactive" else "traffic_control.activated",
                 actor=actor, target=control, ip=ip, detail={"from": control.status, "to": status})
    control.status = status
    db.session.commit()
    return True
