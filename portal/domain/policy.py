"""The network's postback policy as one value, built at the door from config and settings, handed to a scope."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

MANUAL_SENDS_PER_MINUTE = 10


def _unmetered(_partner_id: int) -> int | None:
    return None


@dataclass(frozen=True)
class PostbackPolicy:
    """What the network allows partners to do with their postbacks.

    `spend_manual_send(partner_id)` takes one unit of the partner's manual-send budget (Send test, Retry
    now: each makes this server call a URL of the partner's choosing) and returns None when there was one,
    else the seconds until there is; the door's factory backs it with the shared rate-limit store.
    """

    partners_may_edit: bool = True  # the network's "partners may manage their own postbacks"
    any_port: bool = False  # URLs may use any port and private hosts (tests, a lab install)
    manual_sends_per_minute: int = MANUAL_SENDS_PER_MINUTE
    spend_manual_send: Callable[[int], int | None] = _unmetered
