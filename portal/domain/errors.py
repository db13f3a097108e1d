"""Errors every layer may raise and every door knows how to answer."""

from __future__ import annotations


class BadRequest(ValueError):
    """A value the partner sent that cannot be used; the message names the field and the rule."""

    def __init__(self, field_name: str, rule: str) -> None:
        super().__init__(f"{field_name}: {rule}")
        self.field = field_name
        self.rule = rule
        self.message = f"{field_name}: {rule}"


class NotFound(LookupError):
    """No such object for this partner: it does not exist or belongs to someone else (same answer)."""


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
