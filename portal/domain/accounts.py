"""What a partner sees of its own account and of the network, and its figures for a period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

PARTNER_STATUSES_WITHOUT_ACCESS = ("inactive", "suspended")  # no sign-in, no API key: the account is out


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    """What a partner earned and drove in one window; amounts in minor units."""

    clicks: int  # valid clicks (invalid ones are not sent on, and not counted here)
    conversions: int
    earnings_cents: int  # conversions' and CPC clicks'
    events: int = 0
    impressions: int = 0


@dataclass(frozen=True)
class DashboardSummary:
    timezone: str
    currency: str
    today: PeriodFigures
    yesterday: PeriodFigures
    this_month: PeriodFigures


@dataclass(frozen=True)
class UserView:
    email: str
    name: str
    role: str
    active: bool


@dataclass(frozen=True)
class KeyCard:
    """One of the partner's own active keys, in full, for the My Account → API page."""

    label: str
    secret: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class AccountView:
    """The partner's own account, without the network-only fields (notes, fraud flag)."""

    affiliate_id: int
    name: str
    partner_key: str
    status: str
    timezone: str
    currency: str
    account_manager_name: str | None
    account_manager_email: str | None
    onboarding: str = "complete"  # "onboarding" while the network is still setting the account up


@dataclass(frozen=True)
class NetworkView:
    """What a partner may know about the network: its public face, not its settings."""

    network_id: int
    name: str
    logo_url: str | None
    timezone: str
    currency: str


@dataclass(frozen=True, slots=True)
class ManagerRecord:
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class PartnerRecord:
    """A partner's own account fields as read together with its API key in one query (the API's hot
    path), so a scope can be built without loading ORM objects. Same attribute names as Partner."""

    id: int
    name: str
    partner_key: str
    status: str
    timezone: str
    currency: str
    account_manager: ManagerRecord | None
    onboarding: str = "complete"
    upstream_affiliate_id: int | None = None  # upstream mode: the partner's affiliate id on the upstream
