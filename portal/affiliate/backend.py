"""The two interfaces the affiliate façade delegates to, so another tracking platform can serve the data.

A scope (portal.affiliate.scope.AffiliateScope) is built from three parts, by one factory for both doors
(portal.affiliate.factory.scope_for):

* `LocalAccounts`, the LOCAL part: what always stays in this portal's own database, whichever platform
  holds the traffic: the partner's account as this portal knows it, its portal users and team invitations,
  its keys to this portal, its notices, its payout details, and the network's public face and self-service
  switch. Sign-in,
  users, keys, audit and alerts are this portal's, so an upstream deployment reuses the SQL implementation
  (portal.affiliate.sql_accounts.SqlAccounts) as it is.
* `AffiliateBackend`, the DATA part: reports, conversions, clicks, postbacks and their log, offers, coupon
  codes, feeds and files. The built-in SqlBackend (sql_backend.py, sql_offers.py, sql_reports.py) reads this
  app's tables; an upstream backend (portal.affiliate.upstream) serves the same calls from an
  Everflow-compatible network API. Every method takes the partner id first and returns only its rows.
* `PostbackPolicy` (portal.domain.policy), a value: may partners edit their postbacks, may URLs use any
  port, the manual-send budget and how to spend it. The factory builds it from the app's config and
  `LocalAccounts.postbacks_self_service()`, and the scope asks for it only when a postback needs it.

Only the modules named `sql_*.py` import the database (queries, models, db, and the services that write
it) or the app's extensions, and only the factory reads the app's config (`current_app`): whatever else a
backend needs (settings, a shared rate-limit store) the factory hands it. tests/test_architecture.py checks both rules for the façade, and
the database rule for the two partner-facing doors (portal.web.partner, portal.api.affiliate).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from portal.domain.accounts import AccountView, KeyCard, NetworkView, PartnerRecord, PeriodFigures, UserView
from portal.domain.actors import Actor
from portal.domain.billing import BillingBalances, InvoiceDetail, ListedInvoiceFilters
from portal.domain.criteria import ClickQuery, ConversionQuery, Page, Paged, ReportQuery
from portal.domain.offers import ApplicationView, OfferDetail, OfferFilters, StoredFile
from portal.domain.payouts import PayoutChange, PayoutView
from portal.domain.postbacks import AttemptView, DeliveryView, PostbackFilters, PostbackView
from portal.domain.records import ClickRecord, ClickResult, ConversionRecord, ExportRows, ReportResult
from portal.domain.traffic import TrafficControlView


class LocalAccounts(Protocol):
    """This portal's own records of a partner and of the network (see the module docstring).

    Team and notice rows are the local store's own objects: the doors show them and hand them back to the
    methods that change them (which the SQL implementation passes to portal.services.team, invitations).
    """

    def account(self, partner: PartnerRecord) -> AccountView:
        """The partner's account without network-only fields; `partner` is the scope's (a PartnerRecord or
        the Partner row, which has the same attribute names)."""

    def network(self) -> NetworkView: ...

    def postbacks_self_service(self) -> bool:
        """Whether the network lets partners manage their own postbacks."""

    def upstream_affiliate_id(self, partner_id: int) -> int | None:
        """The affiliate id the partner is linked to on the upstream network (None: not linked)."""

    def users(self, partner_id: int) -> list[UserView]: ...

    def has_active_key(self, partner_id: int) -> bool: ...

    def credential(self, secret: str) -> Any | None:
        """The key to this portal a secret is (live or revoked; key_id, revoked, partner, allows(ip)), or None:
        malformed (refused without a query) or unknown. For the Affiliate API, before any scope exists."""

    def key_cards(self, partner_id: int) -> list[KeyCard]:
        """The partner's own active keys to this portal, in full (theirs to copy)."""

    def team(self, partner_id: int) -> list[Any]:
        """The partner's users as rows (id, email, name, role, active, …), by email."""

    def team_member(self, partner_id: int, user_id: int) -> Any | None: ...

    def pending_invitations(self, partner_id: int) -> list[Any]: ...

    def invitation(self, partner_id: int, invitation_id: int) -> Any | None:
        """One of the partner's pending invitations; None for anyone else's."""

    # Changes to the team, by `by` (the acting user's row) from `ip`; audited. A refusal is an
    # InvitationRefused or TeamChangeRefused (portal.domain.errors) whose message says why.

    def invite(self, partner: PartnerRecord, email: str, role: str, by: Any, ip: str | None) -> None:
        """Invite `email` to the partner with `role` (the mail carries a single-use link)."""

    def change_role(self, user: Any, role: str, by: Any, ip: str | None) -> None: ...

    def set_active(self, user: Any, active: bool, by: Any, ip: str | None) -> None:
        """Deactivating ends every session of the user at once."""

    def resend_invitation(self, invitation: Any, by: Any, ip: str | None) -> None:
        """A fresh link (the old one stops working) and a fresh expiry, mailed again."""

    def revoke_invitation(self, invitation: Any, by: Any, ip: str | None) -> None: ...

    def unread_notices(self, partner_id: int, limit: int) -> list[Any]:
        """The newest unread notices of the partner, at most `limit`."""

    def unread_notice_count(self, partner_id: int) -> int: ...

    def mark_notice_read(self, partner_id: int, notice_id: int, actor: Actor | None) -> bool:
        """False when there is no such notice of the partner."""

    def mark_notices_read(self, partner_id: int, actor: Actor | None) -> int:
        """How many were unread."""

    def audit_upstream_change(self, partner_id: int, action: str, target_type: str, target_id: int,
                              detail: dict[str, Any], actor: Actor | None) -> None:
        """Record (and commit) an audit event for a change the upstream confirmed to one of the partner's
        objects it holds (such as postback.created for a pixel), shaped as local mode records it."""

    def payout_details(self, partner_id: int) -> PayoutView:
        """The partner's payout details, masked (the clear values never leave the local store this way)."""

    def two_factor_enabled(self, user: Any) -> bool:
        """Whether the signed-in user (its row) has two-factor sign-in on: sensitive changes then need a code."""

    def change_payout_details(self, partner_id: int, user: Any, change: PayoutChange, ip: str | None) -> list[str]:
        """Change them as `user` (the signed-in partner user's row, which must be the partner's admin and
        confirm with its password): what changed. Raises PayoutDetailsInvalid or PayoutChangeRefused, and then
        nothing changed. Local in every mode: payout details are this portal's own data."""


class AffiliateBackend(Protocol):
    """The DATA part: one network's traffic and objects. Every method takes the partner id first and returns
    only that partner's rows."""

    def period_figures(self, partner_id: int, start: datetime, end: datetime) -> PeriodFigures: ...

    def report(self, partner_id: int, query: ReportQuery, currency: str) -> ReportResult: ...

    def conversions(self, partner_id: int, query: ConversionQuery, page: Page) -> Paged: ...

    def conversion_count(self, partner_id: int, query: ConversionQuery) -> int: ...

    def conversion_export(self, partner_id: int, query: ConversionQuery, batch_size: int) -> ExportRows:
        """The matching rows' count and the rows in batches, read from one snapshot (see queries.conversions)."""

    def conversion(self, partner_id: int, conversion_id: str) -> ConversionRecord | None: ...

    def clicks(self, partner_id: int, query: ClickQuery, limit: int) -> ClickResult: ...

    def click(self, partner_id: int, transaction_id: str) -> ClickRecord | None: ...

    def has_clicks(self, partner_id: int) -> bool:
        """Whether any click (test or real) ever came through one of the partner's tracking links."""

    # --- postbacks: None / False means no such live postback (or delivery, attempt) of this partner ------

    def postback_count(self, partner_id: int) -> int: ...

    def postbacks(self, partner_id: int, filters: PostbackFilters, page: Page) -> Paged:
        """A page of PostbackViews, oldest first, and the total that matched."""

    def postback(self, partner_id: int, postback_id: int) -> PostbackView | None: ...

    def runnable_offers(self, partner_id: int) -> list[tuple[int, str]]:
        """(id, name) of the offers the partner may tie a postback to, by name."""

    def offer_runnable(self, partner_id: int, offer_id: int) -> bool: ...

    def deliveries(self, partner_id: int, postback_id: int, page: Page, failed_only: bool) -> Paged:
        """A page of DeliveryViews, newest first, each with its log of attempts, and the total."""

    def delivery(self, partner_id: int, postback_id: int, delivery_id: int) -> DeliveryView | None:
        """One delivery of a postback, without its log."""

    def postback_attempt(self, partner_id: int, postback_id: int, attempt_id: int) -> AttemptView | None: ...

    def latest_conversion_values(self, partner_id: int, offer_id: int | None) -> tuple[str, dict[str, str]] | None:
        """(conversion id, macro values) of the partner's latest real conversion, on the offer when given."""

    def create_postback(self, partner_id: int, values: dict, limit: int, actor: Actor | None) -> int | None:
        """Store checked values (postback_rules.clean_draft) as a new postback; its id, or None when the
        partner already has `limit` postbacks (counted and inserted atomically). Each write records an
        audit event for `actor` in its own transaction."""

    def update_postback(self, partner_id: int, postback_id: int, values: dict, actor: Actor | None) -> bool: ...

    def delete_postback(self, partner_id: int, postback_id: int, actor: Actor | None) -> bool: ...

    def enqueue_test(self, partner_id: int, postback_id: int) -> int | None:
        """Queue a test delivery with sample values, held back for send_delivery; its id."""

    def send_delivery(self, partner_id: int, delivery_id: int) -> AttemptView | None:
        """Make one manual attempt now and return it; NotSent when it will not be sent."""

    # --- offers: `now` decides expiry; None means not visible (offer) or not runnable (files) -------

    def offers(self, partner_id: int, filters: OfferFilters, page: Page, now: datetime,
               details: bool = False) -> Paged:
        """A page of OfferSummary the partner may see, by id, and the total; OfferDetail with `details`."""

    def offer_categories(self, partner_id: int, now: datetime) -> list[str]: ...

    def offer(self, partner_id: int, offer_id: int, now: datetime) -> OfferDetail | None: ...

    def tracking_link(self, partner_id: int, offer_id: int, url_id: int, values: dict, base_url: str) -> str:
        """The partner's click link for a runnable offer with checked `values` (subs, creative_id, url);
        this portal's tracker under `base_url`, or the tracking platform's own link."""

    def impression_link(self, partner_id: int, offer_id: int, url_id: int, values: dict, base_url: str) -> str:
        """The impression pixel's URL for a runnable offer; NotServedUpstream where the platform has none."""

    def listed_links(self, partner_id: int, offer_id: int, base_url: str) -> tuple[str, str]:
        """The plain click and impression links an offer list shows beside each offer; ("", "") where the
        platform makes links one at a time (the list would cost a call per offer): ask tracking_link."""

    def apply_to_offer(self, partner_id: int, offer_id: int, note: str, actor: Actor | None) -> ApplicationView:
        """Record the application (audited); ApplicationRefused when the offer takes none from the partner."""

    def coupon_codes(self, partner_id: int, page: Page, now: datetime, offer_id: int | None = None) -> Paged:
        """A page of CouponView: the partner's active codes on offers it can run (one offer's when given)."""

    def product_feeds(self, partner_id: int, offer_ids: tuple[int, ...] | None, page: Page, now: datetime) -> Paged:
        """A page of ProductFeedView of the offers the partner can run (of `offer_ids` when given)."""

    def creative_file(self, partner_id: int, offer_id: int, creative_id: int, now: datetime) -> StoredFile | None: ...

    def offer_thumbnail(self, partner_id: int, offer_id: int, now: datetime) -> StoredFile | None:
        """The thumbnail of an offer the partner may see (None: no such offer, or no thumbnail)."""

    def product_feed_file(self, partner_id: int, feed_id: int, now: datetime) -> StoredFile | None: ...

    def traffic_controls(self, partner_id: int, now: datetime) -> list[TrafficControlView]:
        """The active traffic controls that apply to the partner (for all partners, or naming it), newest first;
        a rule for chosen offers names only offers the partner may see, and is left out if it names none."""

    # --- billing (portal.affiliate.billing) -----------------------------------------------------------

    def billing_balances(self, partner_id: int, currency: str) -> tuple[BillingBalances, ...]:
        """Pending, approved not invoiced, invoiced unpaid and paid, from the conversions reports count: one
        BillingBalances per currency, `currency` (the partner's) first."""

    def invoices(self, partner_id: int, status: str | None, start: datetime | None, end: datetime | None,
                 page: Page) -> Paged:
        """The partner's invoices issued in [start, end) (UTC), newest first."""

    def listed_invoices(self, partner_id: int, filters: ListedInvoiceFilters, page: Page) -> Paged:
        """The partner's paid and unpaid invoices (never void ones) by billed period, newest first; each
        InvoiceView with saved_at, its last change."""

    def invoice(self, partner_id: int, invoice_id: int) -> InvoiceDetail | None: ...
