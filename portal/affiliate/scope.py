"""AffiliateScope: every partner-facing read and write, bound to one partner."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from portal.affiliate.backend import AffiliateBackend, LocalAccounts
from portal.affiliate.billing import BillingMixin
from portal.affiliate.dashboard import DashboardMixin
from portal.affiliate.offers import OffersMixin
from portal.affiliate.postbacks import PostbacksMixin
from portal.affiliate.reporting import ReportingMixin
from portal.affiliate.sql_accounts import SqlAccounts
from portal.affiliate.sql_backend import SqlBackend
from portal.affiliate.traffic import TrafficMixin
from portal.domain.accounts import (AccountView, DashboardSummary, KeyCard, NetworkView, PartnerRecord, PeriodFigures,
                                    UserView)
from portal.domain.actors import Actor
from portal.domain.payouts import PayoutChange, PayoutView
from portal.domain.policy import PostbackPolicy

SHOWN_UNREAD_NOTICES = 5  # the newest unread notices shown at the top of a page; the rest are counted


class AffiliateScope(ReportingMixin, DashboardMixin, PostbacksMixin, OffersMixin, TrafficMixin, BillingMixin):
    """Built for one partner; callers never pass a partner id of their own.

    The doors get theirs from portal.affiliate.factory.scope_for. Built directly (tests, benchmarks), the
    parts default to the SQL ones and to a policy of the network's self-service switch with default limits
    and unmetered manual sends.
    """

    def __init__(self, partner: PartnerRecord, backend: AffiliateBackend | None = None, *,
                 accounts: LocalAccounts | None = None,
                 policy: PostbackPolicy | Callable[[], PostbackPolicy] | None = None,
                 actor: Actor | None = None) -> None:
        self._partner = partner  # a PartnerRecord, or the Partner row (same attribute names)
        self._backend = backend or SqlBackend()
        self._accounts = accounts or SqlAccounts()
        # A value, or how to build it when first asked: most requests never touch a postback.
        self._policy = policy
        self._actor = actor  # who is acting, for the audit log of changes (None: the network itself)
        self._has_active_key: bool | None = None

    @property
    def partner_id(self) -> int:
        return self._partner.id

    def postback_policy(self) -> PostbackPolicy:
        if not isinstance(self._policy, PostbackPolicy):
            self._policy = (self._policy() if self._policy is not None
                            else PostbackPolicy(partners_may_edit=self._accounts.postbacks_self_service()))
        return self._policy

    def account(self) -> AccountView:
        return self._accounts.account(self._partner)

    def network(self) -> NetworkView:
        return self._accounts.network()

    def users(self) -> list[UserView]:
        """The partner company's own logins (no password material)."""
        return self._accounts.users(self.partner_id)

    def has_active_key(self) -> bool:
        # Asked by the navigation and by the API page in the same request: one query per scope.
        if self._has_active_key is None:
            self._has_active_key = self._accounts.has_active_key(self.partner_id)
        return self._has_active_key

    def key_cards(self) -> list[KeyCard]:
        """The partner's own active keys in full (they are theirs to copy; staff reveals are audited)."""
        return self._accounts.key_cards(self.partner_id)

    # --- the team and notices: rows of this portal's own store (backend.LocalAccounts) -------------------

    def team(self) -> list[Any]:
        return self._accounts.team(self.partner_id)

    def team_member(self, user_id: int) -> Any | None:
        """One of the partner's own users; None for another partner's."""
        return self._accounts.team_member(self.partner_id, user_id)

    def pending_invitations(self) -> list[Any]:
        return self._accounts.pending_invitations(self.partner_id)

    def invitation(self, invitation_id: int) -> Any | None:
        """One of the partner's own pending invitations; None for anyone else's."""
        return self._accounts.invitation(self.partner_id, invitation_id)

    # Changes to the team: `user` and `invitation` are rows this scope returned (team_member, invitation);
    # `by` is the acting user's row (the audit log's actor and the invitation mail's sender).

    def invite(self, email: str, role: str, by: Any, ip: str | None) -> None:
        self._accounts.invite(self._partner, email, role, by, ip)

    def change_role(self, user: Any, role: str, by: Any, ip: str | None) -> None:
        self._accounts.change_role(user, role, by, ip)

    def set_active(self, user: Any, active: bool, by: Any, ip: str | None) -> None:
        self._accounts.set_active(user, active, by, ip)

    def resend_invitation(self, invitation: Any, by: Any, ip: str | None) -> None:
        self._accounts.resend_invitation(invitation, by, ip)

    def revoke_invitation(self, invitation: Any, by: Any, ip: str | None) -> None:
        self._accounts.revoke_invitation(invitation, by, ip)

    def unread_notices(self) -> tuple[list[Any], int]:
        """The newest unread notices (at most SHOWN_UNREAD_NOTICES) and how many are unread in all."""
        shown = self._accounts.unread_notices(self.partner_id, SHOWN_UNREAD_NOTICES)
        if len(shown) < SHOWN_UNREAD_NOTICES:
            return shown, len(shown)
        return shown, self._accounts.unread_notice_count(self.partner_id)

    def mark_notice_read(self, notice_id: int) -> bool:
        """For the whole company; False when there is no such notice of the partner."""
        return self._accounts.mark_notice_read(self.partner_id, notice_id, self._actor)

    def mark_notices_read(self) -> int:
        return self._accounts.mark_notices_read(self.partner_id, self._actor)

    # --- payout details: this portal's own, masked when shown --------------------------------------------

    def payout_details(self) -> PayoutView:
        return self._accounts.payout_details(self.partner_id)

    def two_factor_enabled(self, user: Any) -> bool:
        """Whether the signed-in user has two-factor on (a change of payout details then needs a code)."""
        return self._accounts.two_factor_enabled(user)

    def change_payout_details(self, user: Any, change: PayoutChange) -> list[str]:
        """As the signed-in partner user (its row: the password and role are checked against it); another
        partner's user is refused (PayoutChangeRefused)."""
        ip = self._actor.ip if self._actor is not None else None
        return self._accounts.change_payout_details(self.partner_id, user, change, ip)

    def dashboard(self, now: datetime | None = None, timezone: str | None = None) -> DashboardSummary:
        """Today, yesterday and this month, as days in the partner's (or the given) timezone."""
        tz_name = timezone or self._partner.timezone or "UTC"
        tz = ZoneInfo(tz_name)
        local_now = (now or datetime.now(UTC)).astimezone(tz)
        today = local_now.date()

        def window(first: date, last_exclusive: date) -> PeriodFigures:
            start = datetime.combine(first, time.min, tz).astimezone(UTC)
            end = datetime.combine(last_exclusive, time.min, tz).astimezone(UTC)
            return self._backend.period_figures(self.partner_id, start, end)

        tomorrow = today + timedelta(days=1)
        return DashboardSummary(
            timezone=tz_name,
            currency=self._partner.currency,
            today=window(today, tomorrow),
            yesterday=window(today - timedelta(days=1), today),
            this_month=window(today.replace(day=1), tomorrow),
        )
