"""Errors every layer may raise and every door knows how to answer."""

from __future__ import annotations


class BadRequest(ValueError):
    """A value the partner sent that cannot be used; the message names the field and the rule."""

    def __init__(self, field_name: str, rule: str) -> None:
        super().__init__(f"{field_name}: {rule}")
        self.field = field_name
        self.rule = rule
        self.message = f"{field_name}: {rule}"


class InvitationRefused(ValueError):
    """The invitation cannot be made; the message says why (for the form)."""


class TeamChangeRefused(ValueError):
    """A change to a partner's team would break a rule; the message says which."""


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


UPSTREAM_UNAVAILABLE = ("The network's tracking platform is not answering right now; nothing shown here is "
                        "out of date, it is simply not shown. Try again in a moment")


class UpstreamUnavailable(RuntimeError):
    """Upstream mode: the network's tracking platform gave no usable answer in time (down, too slow, over
    its budget). Both doors answer 503 with Retry-After; nothing stale is shown instead."""

    status = 503

    def __init__(self, retry_after: int = 30, message: str = UPSTREAM_UNAVAILABLE) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))
        self.message = message


class UpstreamRefused(UpstreamUnavailable):
    """Upstream mode: the tracking platform answered, but not usefully (it refused the network key, rejected
    a request this portal built, or sent something that is not its API's shape, such as another
    affiliate's rows). A 502: retrying soon will not help; the message says what happened, for people."""

    status = 502

    def __init__(self, message: str) -> None:
        super().__init__(60, message)


class NotServedUpstream(Exception):
    """Upstream mode: a feature the network's tracking platform does not offer through its API (the
    postback delivery log, manual retries, coupon codes, product feeds…). Pages say so instead of showing
    an empty table; the Affiliate API answers 501 with {"error"}."""

    def __init__(self, feature: str) -> None:
        self.feature = feature
        self.message = f"{feature} is not available from the network's tracking platform"
        super().__init__(self.message)


class UpstreamNotLinked(NotServedUpstream):
    """Upstream mode: staff have not linked this partner to an affiliate of the tracking platform yet, so
    there is no data to show (pages say so; the API answers 501 with {"error"})."""

    def __init__(self) -> None:
        super().__init__("Your data")
        self.message = ("Your account is not linked to the network's tracking platform yet, so there is no "
                        "data to show; ask your account manager to link it")
        self.args = (self.message,)
