"""The partner's traffic controls, read-only: the rules that apply to it, one of them, and the block lists
by offer (Everflow's trafficblocking). Another partner's rule is None here, a 404 at the doors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal.domain.clock import utcnow
from portal.domain.criteria import MAX_ID
from portal.domain.traffic import TrafficControlView

ALL_OFFERS = 0  # trafficblocking's network_offer_id for a rule on every offer


@dataclass(frozen=True)
class BlockedEntry:
    comparison_method: str
    variable: str
    variable_value: str


@dataclass(frozen=True)
class OfferBlocking:
    """What is blocked on one offer (ALL_OFFERS: on every offer)."""

    offer_id: int
    entries: tuple[BlockedEntry, ...]


def _plausible_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


class TrafficMixin:
    """Mixed into AffiliateScope: needs `partner_id` and `_backend`."""

    def traffic_controls(self) -> list[TrafficControlView]:
        """The active rules that apply to the partner, newest first (AffiliateBackend.traffic_controls)."""
        return self._backend.traffic_controls(self.partner_id, utcnow())

    def traffic_control(self, control_id: int) -> TrafficControlView | None:
        """One of those rules; None for any other id (another partner's rule included)."""
        if not _plausible_id(control_id):
            return None
        return next((c for c in self.traffic_controls() if c.id == control_id), None)

    def traffic_blocking(self, offer_id: int | None = None, status: str | None = None,
                         created_since: datetime | None = None, saved_since: datetime | None = None
                         ) -> list[OfferBlocking]:
        """The block lists' values by offer, in offer order (ALL_OFFERS first); only `offer_id`'s (and the
        rules on every offer) when given. Only active rules apply, so status "inactive" finds none.
        created_since / saved_since (Everflow's time_created / time_saved): only the rules created or last
        saved at or after that moment, so a script can poll for what changed since its last call."""
        if status == "inactive" or (offer_id is not None and not _plausible_id(offer_id)):
            return []
        by_offer: dict[int, list[BlockedEntry]] = {}
        for control in reversed(self.traffic_controls()):  # oldest first: the order the tracker applies them
            if control.control_type != "blacklist":
                continue
            if (created_since is not None and control.created_at < created_since) or \
                    (saved_since is not None and control.updated_at < saved_since):
                continue
            entries = [BlockedEntry(control.comparison_method, control.variable, v) for v in control.values]
            offers = [ALL_OFFERS] if control.is_apply_all_offers else [i for i, _ in control.offers]
            for found in offers:
                if offer_id is None or found in (offer_id, ALL_OFFERS):
                    by_offer.setdefault(found, []).extend(entries)
        return [OfferBlocking(i, tuple(by_offer[i])) for i in sorted(by_offer)]
