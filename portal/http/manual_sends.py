"""A partner's manual postback sends (Send test, Retry now), counted per minute in the shared rate-limit store."""

from __future__ import annotations

from limits import parse

from portal.domain.clock import utcnow
from portal.extensions import limiter


def spend(prefix: str, per_minute: int, partner_id: int) -> int | None:
    """Take one of the partner's sends this minute: None when there was one, else whole seconds to wait."""
    item = parse(f"{per_minute} per minute")
    keys = tuple(k for k in (prefix, "postback-manual-send", str(partner_id)) if k)
    if limiter.limiter.hit(item, *keys):
        return None
    reset_at = limiter.limiter.get_window_stats(item, *keys).reset_time
    return max(1, int(reset_at - utcnow().timestamp() + 0.999))
