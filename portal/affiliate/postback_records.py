"""What the postbacks façade hands out and takes in: drafts, views of postbacks and their log, domain errors."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

SELF_SERVICE_OFF = ("The network has turned off postback self-service: your postbacks are read-only; "
                    "ask your account manager to change them")


class SelfServiceOff(PermissionError):
    """The network does not let partners change their own postbacks (403 on the API, read-only pages)."""

    def __init__(self) -> None:
        super().__init__(SELF_SERVICE_OFF)
        self.message = SELF_SERVICE_OFF


class NotSent(RuntimeError):
    """A manual send the delivery worker would not make (a worker is sending it right now, or the
    postback cannot be sent); the message says why, for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TooManySends(RuntimeError):
    """The partner's manual sends (tests, retries) are over the per-minute cap; retry after `retry_after`."""

    def __init__(self, retry_after: int, *, per_minute: int) -> None:
        self.retry_after = retry_after
        self.message = (f"Too many test sends and retries: at most {per_minute} a minute; "
                        f"try again in {retry_after} seconds")
        super().__init__(self.message)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who changes a partner's postbacks, for the audit log: one of its users or one of its API keys.

    Shaped like the users portal.services.audit.record takes (session_kind, id, email)."""

    session_kind: str  # "partner": a signed-in partner user; "api": an API key
    id: int  # the user's id, or the key's
    email: str = ""  # the user's; empty for a key
    ip: str | None = None


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
