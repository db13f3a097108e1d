"""What the postbacks façade hands out and takes in: drafts, and views of postbacks and their log."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

POSTBACK_TYPES = ("conversion", "event")
DELIVERY_METHODS = ("postback", "html")
POSTBACK_STATUSES = ("active", "inactive")  # what a partner sets
# A deleted postback keeps its row, because its deliveries and attempts point at it: partners no longer
# see it (404), nothing is sent for it, and staff still find its log.
POSTBACK_DELETED = "deleted"


@dataclass(frozen=True)
class PostbackDraft:
    """A whole postback as a door received it (full-object semantics: what is left out takes its default).

    Values are checked, not trusted: the API hands over decoded JSON, so types are verified here too.
    """

    delivery_method: object = "postback"
    all_offers: object = True
    offer_id: object = None
    postback_type: object = "conversion"
    event_name: object = None
    status: object = "active"
    url: object = None
    html_code: object = None
    delay_ms: object = 0
    description: object = ""
    send_status_updates: object = False


@dataclass(frozen=True)
class PostbackFilters:
    """Checked list filters (postback_rules.check_filters); None or "" filters nothing, offer_id 0 means
    the all-offers postbacks."""

    offer_id: int | None = None
    status: str | None = None
    postback_type: str | None = None
    delivery_method: str | None = None
    search: str = ""


@dataclass(frozen=True)
class PostbackView:
    id: int
    offer_id: int | None  # None: every offer
    offer_name: str | None
    delivery_method: str
    postback_type: str
    event_name: str | None
    status: str
    url: str | None
    html_code: str | None
    delay_ms: int
    description: str
    send_status_updates: bool
    consecutive_failures: int
    first_failure_at: datetime | None
    disabled_at: datetime | None
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def all_offers(self) -> bool:
        return self.offer_id is None


@dataclass(frozen=True)
class AttemptView:
    id: int
    delivery_id: int
    attempt_number: int
    manual: bool
    attempted_at: datetime
    url: str
    resolved_ip: str | None
    outcome: str
    status_code: int | None
    latency_ms: int | None
    error_class: str | None
    error: str | None
    response_excerpt: str | None


@dataclass(frozen=True)
class DeliveryView:
    id: int
    postback_id: int
    event_id: str
    kind: str
    is_test: bool
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    log: tuple[AttemptView, ...] = ()

    @property
    def failed(self) -> bool:
        """Dead, or tried and waiting for its next retry: what "Retry now" is for."""
        return self.status == "dead" or (self.status == "pending" and self.attempts > 0)


@dataclass(frozen=True)
class Preview:
    url: str | None
    error: str | None
    source: str  # "conversion" (the partner's most recent one) or "sample"
    conversion_id: str | None = None


def shape(cls, row, **extra):
    """A view of `cls` from any object with the same attribute names (an ORM row); `extra` fills the rest."""
    return cls(**{f.name: getattr(row, f.name) for f in fields(cls) if f.name not in extra}, **extra)


__all__ = ["SELF_SERVICE_OFF", "SelfServiceOff", "NotSent", "TooManySends", "PostbackDraft", "PostbackFilters",
           "PostbackView", "AttemptView", "DeliveryView", "Preview", "shape"]
