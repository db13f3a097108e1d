"""AffiliateScope: every partner-facing read and write, bound to one partner."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from portal.affiliate.backend import AffiliateBackend
from portal.affiliate.backends import data_backend
from portal.affiliate.dashboard import DashboardMixin
from portal.affiliate.offers import OffersMixin
from portal.affiliate.postbacks import PostbacksMixin
from portal.affiliate.reporting import ReportingMixin
from portal.domain.accounts import (AccountView, DashboardSummary, KeyCard, NetworkView, PartnerRecord, PeriodFigures,
                                    UserView)
from portal.domain.actors import Actor
from portal.models import Partner
from portal.queries import accounts
from portal.queries.settings import network_settings
from portal.services.keys import plaintext


class AffiliateScope(ReportingMixin, DashboardMixin, PostbacksMixin, OffersMixin):
    """Built for one partner; callers never pass a partner id of their own."""

    def __init__(self, partner: Partner | PartnerRecord, backend: AffiliateBackend | None = None, *,
                 actor: Actor | None = None) -> None:
        self._partner = partner
        self._backend = backend or data_backend(partner)
        self._actor = actor  # who is acting, for the audit log of changes (None: the network itself)
        self._has_active_key: bool | None = None

    @property
    def partner_id(self) -> int:
        return self._partner.id

    def account(self) -> AccountView:
        p = self._partner
        am = p.account_manager
        return AccountView(
            affiliate_id=p.id, name=p.name, partner_key=p.partner_key, status=p.status,
            timezone=p.timezone, currency=p.currency,
            account_manager_name=am.name if am else None, account_manager_email=am.email if am else None,
            onboarding=p.onboarding,
        )

    def network(self) -> NetworkView:
        s = network_settings()
        return NetworkView(network_id=s.id, name=s.network_name, logo_url=s.logo_url, timezone=s.timezone,
                           currency=s.currency)

    def users(self) -> list[UserView]:
        """The partner company's own logins (no password material)."""
        return [UserView(u.email, u.name, u.role, u.active) for u in accounts.partner_users(self.partner_id)]

    def has_active_key(self) -> bool:
        # Asked by the navigation and by the API page in the same request: one query per scope.
        if self._has_active_key is None:
            self._has_active_key = accounts.has_active_key(self.partner_id)
        return self._has_active_key

    def key_cards(self) -> list[KeyCard]:
        """The partner's own active keys in full (they are theirs to copy; staff reveals are audited)."""
        return [KeyCard(k.label, plaintext(k), k.created_at, k.last_used_at)
                for k in accounts.active_keys(self.partner_id)]

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
