"""What the offers façade hands out and takes in: filters, offer views, link requests, and their refusals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

OFFER_VISIBILITY = ("public", "require_approval", "private")  # Everflow's visibility values
OFFER_LIST_STATUSES = ("active", "paused")  # what a partner may filter offers by
MAX_SEARCH = 200
MAX_NOTE = 2000  # an application's note


@dataclass(frozen=True)
class OfferFilters:
    """A partner's offer list: `mine` keeps the offers the partner can run now; status "active" | "paused"."""

    search: str | None = None
    category: str | None = None
    status: str | None = None
    mine: bool = False


@dataclass(frozen=True)
class OfferSummary:
    """One offer as the partner sees it; payout_type/amount are the partner's own (an override, else the
    offer's): flat and cpc in minor units, percent in basis points of the sale."""

    offer_id: int
    name: str
    category: str
    status: str
    visibility: str
    relationship: str  # queries.offer_access.relationship_status: public, approved, pending, …
    runnable: bool
    currency: str
    payout_type: str
    payout_amount: int
    preview_url: str
    has_thumbnail: bool  # the doors serve it (partner page, API) at their own URLs
    time_created: datetime
    time_saved: datetime
    caps: dict
    description_html: str  # sanitised when stored


@dataclass(frozen=True)
class LandingPage:
    url_id: int  # 0: the offer's default destination ("Default")
    name: str
    preview_url: str


@dataclass(frozen=True)
class CreativeView:
    creative_id: int
    offer_id: int
    name: str
    creative_type: str
    width: int | None
    height: int | None
    filename: str | None
    content_type: str | None
    file_size: int | None
    html_code: str
    text: str
    email_subject: str
    email_from: str
    has_file: bool


@dataclass(frozen=True)
class ApplicationView:
    status: str  # pending | approved | rejected | blocked
    note: str
    applied_at: datetime | None
    decision_reason: str
    decided_at: datetime | None


@dataclass(frozen=True)
class OfferDetail(OfferSummary):
    restrictions: str
    landing_pages: tuple[LandingPage, ...]
    deep_links_allowed: bool
    allowed_countries: tuple[str, ...]
    creatives: tuple[CreativeView, ...]  # empty unless runnable
    application: ApplicationView | None
    can_apply: bool
    deep_link_sites: tuple[str, ...] = ()  # where a deep link may go (domain.destinations.offer_sites)


@dataclass(frozen=True)
class LinkRequest:
    """A tracking link as a partner asks for it; values are checked by the façade, not trusted."""

    url_id: int = 0
    sub1: str | None = None
    sub2: str | None = None
    sub3: str | None = None
    sub4: str | None = None
    sub5: str | None = None
    source_id: str | None = None
    creative_id: int | None = None
    deep_link: str | None = None


@dataclass(frozen=True)
class CouponView:
    coupon_code_id: int
    offer_id: int
    offer_name: str
    code: str
    status: str
    description: str
    start_date: date | None
    end_date: date | None
    time_created: datetime
    time_saved: datetime


@dataclass(frozen=True)
class ProductFeedView:
    feed_id: int
    offer_id: int
    name: str
    status: str
    filename: str
    content_type: str
    file_size: int
    valid_from: datetime | None
    valid_to: datetime | None
    time_created: datetime
    time_saved: datetime


@dataclass(frozen=True)
class StoredFile:
    """A file a door may stream: its key in the file store and how to name it."""

    key: str
    filename: str
    content_type: str
    size: int | None


class OfferUnavailable(LookupError):
    """The partner may not see this offer (missing, private, expired, or blocked): the same 404."""


class LinkRefused(ValueError):
    """No link for this request; `field` names the LinkRequest field at fault ("offer_id": not runnable)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


class ApplicationRefused(ValueError):
    """The offer takes no application from this partner now (not require_approval, approved, pending),
    or the note cannot be used (`field` "note")."""

    def __init__(self, message: str, field_name: str = "offer_id") -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message
