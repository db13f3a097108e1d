"""The postbacks half of the façade: one partner's postbacks, their delivery log, tests and retries, within policy.

Policy lives here so that the portal pages and the Affiliate API (`pixels`) cannot drift apart; the data
is the backend's (portal.affiliate.backend), what a postback may be is postback_rules':

* the partner id comes from the scope, never from the caller's input;
* the network may turn partner self-service off (the scope's PostbackPolicy, `partners_may_edit`, from
  `partner_postbacks_enabled`): reads still work, every write (create, update, delete, send test, retry
  now) raises `SelfServiceOff`;
* a postback for one offer needs a *runnable* offer: `status == "active"` and either `visibility ==
  "public"`, or (private / require_approval) the partner already has traffic on it — rows in its report
  rollups, which every click and conversion writes. The offer-approval table (OfferAccess) replaces the
  traffic rule when it lands. An unknown offer and a private one the partner cannot run get the same
  answer, so offer ids cannot be probed. An update that keeps the offer it already has is not re-checked,
  so a paused offer does not lock its postback's URL;
* server postback URLs pass `validate_template` (SSRF-minded: scheme, host, port, known macros), and a host
  that every send would refuse (a private or reserved address, a private name) is refused at save by the
  sender's own address policy (portal.delivery.destinations); HTML code is stored and shown escaped, never
  fired by the server;
* at most MAX_POSTBACKS per partner, and manual sends (Send test, Retry now) are capped per partner
  (the policy's `manual_sends_per_minute`, spent through its `spend_manual_send`) because each one makes
  this server call a URL of the partner's choosing;
* deleting a postback keeps it and its log (status "deleted", invisible to the partner) and turns its
  pending deliveries dead with a reason; turning one off does the same to its pending deliveries;
  turning one back on clears the failure streak and the reason it was turned off (portal.services.postbacks);
* every create, update and delete is audited, with the acting user or key (the scope's `actor`) and where
  the postback sends to, in the same transaction as the change.

Validation errors are `BadRequest(field, rule)` (portal.domain.errors) with the field names of `PostbackDraft`; each
door maps them to its own vocabulary (form fields, or the API's pixel names).
"""

from __future__ import annotations

from collections.abc import Callable

from portal.affiliate import postback_rules as rules
from portal.affiliate.backend import AffiliateBackend
from portal.affiliate.postback_rules import (MAX_DELAY_MS, MAX_DESCRIPTION, MAX_EVENT_NAME, MAX_HTML_BYTES, MAX_ID,
                                             MAX_SEARCH)
from portal.delivery import destinations
from portal.delivery.outbox import SAMPLE_VALUES
# Re-exported: the doors and the API reference import the records and the field limits from here too.
from portal.domain.actors import Actor
from portal.domain.clock import utcnow
from portal.domain.criteria import Page, Paged
from portal.domain.errors import BadRequest, NotFound, NotSent, SelfServiceOff, TooManySends
from portal.domain.policy import MANUAL_SENDS_PER_MINUTE, PostbackPolicy
from portal.domain.postbacks import POSTBACK_DELETED, AttemptView, DeliveryView, PostbackDraft, PostbackView, Preview

MAX_POSTBACKS = 100
# Kept for the log and staff, invisible to the partner: the delivery rows point at the postback.
DELETED = POSTBACK_DELETED


class PostbacksMixin:
    """Mixed into AffiliateScope; every backend call is bound to its partner id."""

    partner_id: int
    _backend: AffiliateBackend
    _actor: Actor | None
    postback_policy: Callable[[], PostbackPolicy]

    # --- reads ------------------------------------------------------------------------------------

    def postbacks_editable(self) -> bool:
        return self.postback_policy().partners_may_edit

    def require_postbacks_editable(self) -> None:
        """SelfServiceOff unless the network lets partners change their own postbacks."""
        if not self.postbacks_editable():
            raise SelfServiceOff()

    def postbacks(self, page: Page, *, offer_id: int | None = None, status: str | None = None,
                  postback_type: str | None = None, delivery_method: str | None = None,
                  search: str = "") -> Paged:
        """A page of the partner's postbacks, oldest first; offer_id 0 means the all-offers ones."""
        filters = rules.check_filters(offer_id, status, postback_type, delivery_method, search)
        return self._backend.postbacks(self.partner_id, filters, page)

    def postback(self, postback_id: int) -> PostbackView:
        found = self._backend.postback(self.partner_id, postback_id) if _plausible_id(postback_id) else None
        if found is None:
            raise NotFound("postback")  # missing, deleted and another partner's look the same
        return found

    def runnable_offers(self) -> list[tuple[int, str]]:
        """(id, name) of the offers a postback may be tied to, by name (see the module docstring)."""
        return self._backend.runnable_offers(self.partner_id)

    def deliveries(self, postback_id: int, page: Page, *, failed_only: bool = False) -> Paged:
        """A page of one postback's deliveries, newest first, each with its attempts (the delivery log)."""
        self.postback(postback_id)
        return self._backend.deliveries(self.partner_id, postback_id, page, failed_only)

    def postback_attempt(self, postback_id: int, attempt_id: int) -> AttemptView:
        """One attempt of one of the partner's postbacks (the panel shown after Send test or Retry now)."""
        self.postback(postback_id)
        found = (self._backend.postback_attempt(self.partner_id, postback_id, attempt_id)
                 if _plausible_id(attempt_id, 2**63 - 1) else None)
        if found is None:
            raise NotFound("attempt")
        return found

    def postback_preview(self, template: str, offer_id: int | None = None, postback_id: int | None = None) -> Preview:
        """The URL a template would request for the partner's most recent real conversion (on the offer,
        when one is chosen), or for the sample values when there is none. Never raises on a bad template:
        the error is part of the answer, because the page shows it as the partner types."""
        latest = self._backend.latest_conversion_values(self.partner_id, offer_id)
        if latest is not None:
            conversion_id, values = latest
            values = dict(values, event_id=f"{conversion_id}-{postback_id or 0}")
            source = "conversion"
        else:
            values = dict(SAMPLE_VALUES, affiliate_id=str(self.partner_id), offer_id=str(offer_id or 0),
                          conversion_unix_timestamp=str(int(utcnow().timestamp())), event_id="sample-event-id")
            source, conversion_id = "sample", None
        url, error = rules.preview_url(template, values, allow_any_port=self._any_port())
        return Preview(url=url, error=error, source=source, conversion_id=conversion_id)

    def postback_warning(self, url: str | None) -> str | None:
        """What a name lookup of a saved URL's host says today (it does not resolve, or resolves to an
        address the sender refuses), for the page that saved it; None when all is well or there is no URL."""
        return destinations.warning(url, allow_private=self._any_port()) if url else None

    # --- writes -----------------------------------------------------------------------------------

    def create_postback(self, draft: PostbackDraft) -> PostbackView:
        self.require_postbacks_editable()
        full = BadRequest("postbacks", f"at most {MAX_POSTBACKS} per partner; delete one you no longer use")
        if self._backend.postback_count(self.partner_id) >= MAX_POSTBACKS:
            raise full  # before validating: the partner learns first what no change of fields will fix
        postback_id = self._backend.create_postback(self.partner_id, self._clean(draft, current_offer_id=None),
                                                    MAX_POSTBACKS, self._actor)
        if postback_id is None:
            raise full
        return self.postback(postback_id)

    def update_postback(self, postback_id: int, draft: PostbackDraft) -> PostbackView:
        """Replace every field the partner controls; the failure bookkeeping is the server's own."""
        self.require_postbacks_editable()
        current = self.postback(postback_id)
        clean = self._clean(draft, current_offer_id=current.offer_id)
        if not self._backend.update_postback(self.partner_id, postback_id, clean, self._actor):
            raise NotFound("postback")
        return self.postback(postback_id)

    def delete_postback(self, postback_id: int) -> None:
        """Gone for the partner; the row and its delivery log stay (staff and the log need them)."""
        self.require_postbacks_editable()
        if not (_plausible_id(postback_id)
                and self._backend.delete_postback(self.partner_id, postback_id, self._actor)):
            raise NotFound("postback")

    def send_test(self, postback_id: int) -> AttemptView:
        """Fire the postback once, now, with sample values (is_test 1), and return the attempt."""
        self.require_postbacks_editable()
        if self.postback(postback_id).delivery_method != "postback":
            raise BadRequest("delivery_method", "only server postbacks can be tested; HTML code runs in the "
                                                "shopper's browser, never from this server")
        self._spend_manual_send()
        delivery_id = self._backend.enqueue_test(self.partner_id, postback_id)
        if delivery_id is None:
            raise NotFound("postback")
        return self._send(delivery_id)

    def retry_now(self, postback_id: int, delivery_id: int) -> AttemptView:
        """Try one of the partner's failed (or dead) deliveries of one of its postbacks again, now."""
        self.require_postbacks_editable()
        self.postback(postback_id)
        delivery = self._backend.delivery(self.partner_id, postback_id, delivery_id)
        if delivery is None:
            raise NotFound("delivery")
        if not delivery.failed:
            raise BadRequest("delivery", "only a failed delivery can be retried")
        self._spend_manual_send()
        return self._send(delivery.id)

    # --- helpers ----------------------------------------------------------------------------------

    def _clean(self, draft: PostbackDraft, current_offer_id: int | None) -> dict:
        clean = rules.clean_draft(draft, current_offer_id=current_offer_id, allow_any_port=self._any_port(),
                                  offer_runnable=lambda offer_id: self._backend.offer_runnable(self.partner_id,
                                                                                               offer_id))
        # A host every send would refuse (a private address, localhost…) is refused now, by the sender's
        # own policy; a name whose lookup looks wrong today is saved with a warning (postback_warning).
        refused = destinations.refusal(clean["url"], allow_private=self._any_port()) if clean["url"] else None
        if refused:
            raise BadRequest("url", refused)
        return clean

    def _spend_manual_send(self) -> None:
        policy = self.postback_policy()
        wait = policy.spend_manual_send(self.partner_id)
        if wait is not None:
            raise TooManySends(wait, per_minute=policy.manual_sends_per_minute)

    def _any_port(self) -> bool:
        # Tests (and a lab install) deliver to a listener on 127.0.0.1 at a random port.
        return self.postback_policy().any_port

    def _send(self, delivery_id: int) -> AttemptView:
        """One manual attempt, after the commit that queued or checked it (NotSent when it is not made)."""
        attempt = self._backend.send_delivery(self.partner_id, delivery_id)
        if attempt is None:
            raise NotFound("delivery")
        return attempt


def _plausible_id(value: object, largest: int = MAX_ID) -> bool:
    """An id the database could hold (postback ids are 32-bit, attempt and delivery ids 64-bit)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= largest


__all__ = ["PostbacksMixin", "PostbackDraft", "PostbackView", "DeliveryView", "AttemptView", "Preview",
           "SelfServiceOff", "TooManySends", "NotSent", "MAX_POSTBACKS", "MANUAL_SENDS_PER_MINUTE", "DELETED",
           "MAX_DELAY_MS", "MAX_DESCRIPTION", "MAX_EVENT_NAME", "MAX_HTML_BYTES", "MAX_ID", "MAX_SEARCH"]
