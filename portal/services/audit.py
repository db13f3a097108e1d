"""Record audit events inside the caller's transaction (the caller commits)."""

from __future__ import annotations

from typing import Any

from portal.extensions import db
from portal.models import AuditEvent


def record(action: str, *, actor=None, actor_type: str | None = None, target=None,
           detail: dict[str, Any] | None = None, ip: str | None = None) -> AuditEvent:
    event = AuditEvent(
        action=action,
        actor_type=actor_type or (getattr(actor, "session_kind", None) or "system"),
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", "") or "",
        target_type=type(target).__name__ if target is not None else None,
        target_id=str(getattr(target, "id", "")) if target is not None else None,
        detail=detail or {},
        ip=ip,
    )
    db.session.add(event)
    return event
