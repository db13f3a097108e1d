"""Upstream mode's rule of who may see and run an offer, and at what payout, read from Everflow's offer
visibility and custom payout settings for one affiliate.

An affiliate's standing on an offer is Everflow's visibility: "visible" (approved, granted), "rejected"
or "hidden" (Everflow: neither may see nor run it), or none (the offer's default). As in local mode
(portal.queries.offer_access), with Everflow's words:

  offer visibility   visible ids      rejected ids        hidden ids   none of them
  public             seen, runnable   not found           not found    seen, runnable
  require_approval   seen, runnable   seen ("rejected")   not found    seen (as Everflow's alloffers)
  private, or other  seen, runnable   not found           not found    not found

"runnable" also needs offer_status active; paused offers are seen and not run; pending, deleted and
expired ones are not listed. No visibility answer (an upstream without the endpoint) is "none" for every
offer: public and require_approval offers seen, public ones run — the rule before the endpoint existed.

The payout shown is the affiliate's custom payout when the upstream has one that is active, enabled for
the payout, on the base conversion (network_offer_payout_revenue_id 0), for the whole offer (not some of
its URLs), valid today and applying to the affiliate (named, or all affiliates: a named one wins, then
the latest saved); "prv" payouts are hidden from affiliates by Everflow and are not used. Only payout
fields are read: a setting's revenue never reaches a partner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal.affiliate.upstream import mapping

LISTED_STATUSES = ("active", "paused")
STANDINGS = (("hidden", "network_affiliate_hidden_ids"), ("rejected", "network_affiliate_rejected_ids"),
             ("visible", "network_affiliate_visible_ids"))  # the first that names the affiliate wins
HIDDEN_PAYOUT_TYPES = ("prv", "prv_sku", "blank", "")


@dataclass(frozen=True)
class Access:
    visible: bool
    runnable: bool
    relationship: str  # Everflow's offer_affiliate_status: public, approved, rejected, require_approval


NOT_VISIBLE = Access(False, False, "")


def whole_id(value: object) -> int | None:
    """An id as Everflow sends it (a number, or digits); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:
        return int(value)
    return None


def _ids(value: object) -> set[int]:
    return {i for i in map(whole_id, value) if i is not None} if isinstance(value, list) else set()


def standing(record: object, affiliate_id: int) -> str | None:
    """The affiliate's standing in one visibility record (GET offers/{id}/visibility), None for the default."""
    if not isinstance(record, dict):
        return None
    return next((name for name, field in STANDINGS if affiliate_id in _ids(record.get(field))), None)


def standings(answer: object, affiliate_id: int) -> dict[int, str] | None:
    """offer id → the affiliate's standing, from GET offervisibility's {visibility: [records]}; None when
    the answer is not that shape (the upstream does not serve it)."""
    records = answer.get("visibility") if isinstance(answer, dict) else None
    if not isinstance(records, list):
        return None
    found: dict[int, str] = {}
    for record in records:
        offer_id = whole_id(record.get("network_offer_id")) if isinstance(record, dict) else None
        mine = standing(record, affiliate_id)
        if offer_id is not None and mine is not None:
            found[offer_id] = mine
    return found


def access(visibility: str, offer_status: str, mine: str | None) -> Access:
    if offer_status not in LISTED_STATUSES or mine == "hidden":
        return NOT_VISIBLE
    active = offer_status == "active"
    if visibility == "public":
        return NOT_VISIBLE if mine == "rejected" else Access(True, active, "public")
    if mine == "visible":
        return Access(True, active, "approved")
    if visibility == "require_approval":
        return Access(True, False, mine or "require_approval")
    return NOT_VISIBLE


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def custom_payouts(answer: object, affiliate_id: int, today: date) -> dict[int, tuple[str, int]]:
    """offer id → the affiliate's payout rule and amount (flat in minor units, percent in basis points),
    from GET custom/payoutrevenue's {custom_payout_revenue_settings: [...]}."""
    settings = answer.get("custom_payout_revenue_settings") if isinstance(answer, dict) else None
    best: dict[int, tuple[tuple, tuple[str, int]]] = {}
    for s in settings if isinstance(settings, list) else ():
        if not isinstance(s, dict):
            continue
        offer_id, payout_type = whole_id(s.get("network_offer_id")), str(s.get("payout_type") or "").lower()
        named = affiliate_id in _ids(s.get("network_affiliate_ids"))
        starts, ends = _day(s.get("date_valid_from")), _day(s.get("date_valid_to"))
        if (offer_id is None or s.get("custom_setting_status") != "active" or s.get("is_custom_payout_enabled")
                is not True or (whole_id(s.get("network_offer_payout_revenue_id")) or 0) != 0
                or s.get("is_apply_specific_offer_urls") is True or payout_type in HIDDEN_PAYOUT_TYPES
                or not (named or s.get("is_apply_all_affiliates") is True)
                or (starts is not None and today < starts) or (ends is not None and today > ends)):
            continue
        rule = mapping.payout_rule(payout_type)
        amount = mapping.cents(s.get("payout_percentage") if rule == "percent" else s.get("payout_amount"))
        rank = (named, whole_id(s.get("time_saved")) or 0,
                whole_id(s.get("network_custom_payout_revenue_setting_id")) or 0)
        if offer_id not in best or rank > best[offer_id][0]:
            best[offer_id] = (rank, (rule, amount))
    return {offer_id: payout for offer_id, (_, payout) in best.items()}
