"""The Postbacks pages: list and search, create and edit with a live preview, delete, the delivery log with
Send test and Retry now. Every read and write goes through the façade (g.scope), which holds the policy;
these views only turn forms into drafts and the façade's answers into pages."""

from __future__ import annotations

import re

from flask import abort, flash, g, jsonify, redirect, render_template, request, session, url_for
from wtforms import BooleanField, IntegerField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from portal.affiliate.parsing import page_of
from portal.affiliate.postback_rules import MAX_DELAY_MS
from portal.delivery.macros import MACRO_HELP, MAX_URL_LENGTH
from portal.domain.errors import BadRequest, NotFound, NotSent, SelfServiceOff, TooManySends
from portal.domain.postbacks import POSTBACK_STATUSES, PostbackDraft, PostbackView
from portal.web.forms import PageForm
from portal.web.partner.blueprint import bp

LOG_PAGE_SIZE = 20
# Façade field → form field, where they differ.
FORM_FIELDS = {"all_offers": "offers"}
# Session slot: the warning about a just-saved postback's destination, shown once on its page after the redirect.
_WARNING = "partner.postback_warning"


class PostbackForm(PageForm):
    """Types and choices only; the façade decides what is allowed and says why."""

    delivery_method = RadioField("Delivery method", default="postback", choices=[
        SelectChoice("postback", "Server postback: this server calls your URL"),
        SelectChoice("html", "HTML code: placed on the conversion page, runs in the shopper's browser")])
    offers = RadioField("Offers", default="all",
                        choices=[SelectChoice("all", "All offers"), SelectChoice("one", "One offer")])
    offer_id = SelectField("Offer", choices=[], validate_choice=False)
    postback_type = RadioField("Fires on", default="conversion", choices=[
        SelectChoice("conversion", "Conversions"), SelectChoice("event", "Events (a named event, or every event)")])
    event_name = StringField("Event name", validators=[Optional(), Length(max=100)])
    # A text area so a long URL can be read whole; it is still one line (the façade refuses line breaks).
    url = TextAreaField("Postback URL", validators=[Length(max=MAX_URL_LENGTH)])
    html_code = TextAreaField("HTML code")
    status = SelectField("Status", default="active",
                         choices=[SelectChoice("active", "Active"), SelectChoice("inactive", "Inactive")])
    delay_ms = IntegerField("Delay before sending (ms)", default=0,
                            validators=[Optional(), NumberRange(min=0, max=MAX_DELAY_MS)])
    description = TextAreaField("Description", validators=[Length(max=500)])
    send_status_updates = BooleanField("Also send status updates (approved, rejected, on hold)")

    def fill(self, view: PostbackView) -> None:
        self.delivery_method.data, self.offers.data = view.delivery_method, "all" if view.all_offers else "one"
        self.offer_id.data = str(view.offer_id or "")
        self.postback_type.data, self.event_name.data = view.postback_type, view.event_name or ""
        self.url.data, self.html_code.data = view.url or "", view.html_code or ""
        self.status.data, self.delay_ms.data = view.status, view.delay_ms
        self.description.data, self.send_status_updates.data = view.description, view.send_status_updates

    def draft(self) -> PostbackDraft:
        """The form as a whole postback; the field of the delivery method not chosen is dropped."""
        method = self.delivery_method.data
        raw_offer = (self.offer_id.data or "").strip()
        if raw_offer and _whole(raw_offer) is None:
            raise BadRequest("offer_id", "choose an offer from the list")
        all_offers = self.offers.data == "all"
        return PostbackDraft(
            delivery_method=method, all_offers=all_offers,
            offer_id=None if all_offers or not raw_offer else int(raw_offer),
            postback_type=self.postback_type.data,
            event_name=self.event_name.data if self.postback_type.data == "event" else None,
            status=self.status.data,
            url=self.url.data if method == "postback" else None,
            html_code=self.html_code.data if method == "html" else None,
            delay_ms=self.delay_ms.data if self.delay_ms.data is not None else 0,
            description=self.description.data or "", send_status_updates=bool(self.send_status_updates.data))


class ActionForm(PageForm):
    """Delete, Send test, Retry now: a button and its CSRF token."""


@bp.route("/postbacks")
def postbacks():
    args = request.args
    status = args.get("status", "")
    try:
        paged = g.scope.postbacks(page_of(args), status=status if status in POSTBACK_STATUSES else None,
                                  search=args.get("q", ""))
    except BadRequest as err:
        return render_template("partner/postbacks.html", paged=None, error=err.message, args=args,
                               editable=g.scope.postbacks_editable()), 400
    number = paged.page.page
    pages = {name: url_for("partner.postbacks", **{**args.to_dict(), "page": n})
             for name, n in (("previous", number - 1), ("next", number + 1)) if 1 <= n <= paged.pages}
    return render_template("partner/postbacks.html", paged=paged, pages=pages, args=args, error=None,
                           editable=g.scope.postbacks_editable())


@bp.route("/postbacks/new", methods=["GET", "POST"])
def postback_new():
    if not g.scope.postbacks_editable():
        if request.method == "POST":
            return _refused(SelfServiceOff())
        return redirect(url_for("partner.postbacks"))
    form = _form()
    if form.validate_on_submit():
        try:
            created = g.scope.create_postback(form.draft())
        except BadRequest as err:
            _attach(form, err)
        except SelfServiceOff as err:
            return _refused(err)
        else:
            flash("Postback created. Use Send test to see what your server receives.")
            _keep_warning(created)
            return redirect(url_for("partner.postback_edit", postback_id=created.id))
    status = 400 if request.method == "POST" else 200
    return _form_page(form, None), status


@bp.route("/postbacks/<int:postback_id>", methods=["GET", "POST"])
def postback_edit(postback_id: int):
    view = _own(postback_id)
    editable = g.scope.postbacks_editable()
    form = _form(view)
    if request.method == "GET":
        form.fill(view)
    elif not editable:
        return _refused(SelfServiceOff())
    elif form.validate_on_submit():
        try:
            saved = g.scope.update_postback(postback_id, form.draft())
        except BadRequest as err:
            _attach(form, err)
        else:
            flash("Postback saved.")
            _keep_warning(saved)
            return redirect(url_for("partner.postback_edit", postback_id=postback_id))
    status = 400 if request.method == "POST" else 200
    return _form_page(form, view), status


@bp.route("/postbacks/<int:postback_id>/delete", methods=["GET", "POST"])
def postback_delete(postback_id: int):
    view = _own(postback_id)
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            g.scope.delete_postback(postback_id)
        except SelfServiceOff as err:
            return _refused(err)
        flash(f"Postback #{postback_id} deleted. Deliveries that were still waiting will not be sent.")
        return redirect(url_for("partner.postbacks"))
    return render_template("partner/postback_delete.html", postback=view, form=form,
                           editable=g.scope.postbacks_editable())


@bp.route("/postbacks/<int:postback_id>/log")
def postback_log(postback_id: int):
    return _log_page(_own(postback_id))


@bp.route("/postbacks/<int:postback_id>/test", methods=["POST"])
def postback_test(postback_id: int):
    view = _own(postback_id)
    return _manual_send(view, lambda: g.scope.send_test(postback_id))


@bp.route("/postbacks/<int:postback_id>/deliveries/<int:delivery_id>/retry", methods=["POST"])
def postback_retry(postback_id: int, delivery_id: int):
    view = _own(postback_id)
    return _manual_send(view, lambda: g.scope.retry_now(postback_id, delivery_id))


def _manual_send(view: PostbackView, send):
    """Send test and Retry now: fire once, then show the attempt on the log page. A redirect, so that
    reloading the page shows the attempt again instead of firing again."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        attempt = send()
    except NotFound:
        abort(404)
    except SelfServiceOff as err:
        return _refused(err)
    except TooManySends as err:
        return _log_page(view, error=err.message), 429, {"Retry-After": str(err.retry_after)}
    except NotSent as err:
        return _log_page(view, error=err.message), 409
    except BadRequest as err:
        return _log_page(view, error=err.rule), 400
    return redirect(url_for("partner.postback_log", postback_id=view.id, attempt=attempt.id, _anchor="attempt"))


@bp.route("/postbacks/preview", methods=["POST"])
def postback_preview():
    """JSON for the form's live preview: the URL the template gives for a real recent conversion."""
    preview = g.scope.postback_preview(request.form.get("url", ""), offer_id=_whole(request.form.get("offer_id")),
                                       postback_id=_whole(request.form.get("postback_id")))
    return jsonify(url=preview.url, error=preview.error, source=preview.source, conversion_id=preview.conversion_id)


# --- helpers ------------------------------------------------------------------------------------------


def _own(postback_id: int) -> PostbackView:
    try:
        return g.scope.postback(postback_id)
    except NotFound:
        abort(404)  # missing and another partner's look the same


def _form(view: PostbackView | None = None) -> PostbackForm:
    form = PostbackForm()
    offers = g.scope.runnable_offers()
    if view is not None and view.offer_id is not None and view.offer_id not in {i for i, _ in offers}:
        offers.append((view.offer_id, f"{view.offer_name or 'Offer'} (no longer runnable)"))
    form.offer_id.choices = [SelectChoice("", "Choose an offer…")] + [
        SelectChoice(str(i), f"{name} (#{i})") for i, name in offers]
    return form


def _attach(form: PostbackForm, err: BadRequest) -> None:
    """Put the façade's message on the field it names (or at the top of the form)."""
    field = getattr(form, FORM_FIELDS.get(err.field, err.field), None)
    if field is None:
        form.form_errors.append(err.message)
    else:
        field.errors = [*field.errors, err.rule]


def _keep_warning(saved: PostbackView) -> None:
    """Look the saved URL's host up once, now, and keep what is wrong for the page the save redirects to."""
    warning = g.scope.postback_warning(saved.url if saved.delivery_method == "postback" else None)
    if warning:
        session[_WARNING] = {"postback_id": saved.id, "text": warning}


def _form_page(form: PostbackForm, view: PostbackView | None):
    template = form.url.data if form.delivery_method.data != "html" else ""
    offer = _whole(form.offer_id.data) if form.offers.data == "one" else None
    preview = g.scope.postback_preview(template or "", offer_id=offer, postback_id=view.id if view else None)
    warning = session.pop(_WARNING, None) if view is not None and request.method == "GET" else None
    warning = warning["text"] if isinstance(warning, dict) and warning.get("postback_id") == view.id else None
    return render_template("partner/postback_form.html", form=form, postback=view, preview=preview,
                           macros=MACRO_HELP, editable=g.scope.postbacks_editable(), action_form=ActionForm(),
                           destination_warning=warning)


def _log_page(view: PostbackView, error: str | None = None):
    args = request.args
    failed_only = args.get("failed") == "1"
    try:
        paged = g.scope.deliveries(view.id, page_of({"page": args.get("page"), "page_size": str(LOG_PAGE_SIZE)}),
                                   failed_only=failed_only)
    except BadRequest as err:
        paged, error = None, err.message
    attempt = None
    attempt_id = args.get("attempt", "")
    if re.fullmatch(r"[0-9]{1,18}", attempt_id):  # an id fits a 64-bit integer; anything else shows nothing
        try:
            attempt = g.scope.postback_attempt(view.id, int(attempt_id))
        except NotFound:
            attempt = None  # someone else's or made up: nothing to show
    pages = {}
    if paged is not None:
        number = paged.page.page
        pages = {name: url_for("partner.postback_log", postback_id=view.id, page=n, failed="1" if failed_only else None)
                 for name, n in (("previous", number - 1), ("next", number + 1)) if 1 <= n <= paged.pages}
    return render_template("partner/postback_log.html", postback=view, paged=paged, pages=pages,
                           failed_only=failed_only, attempt=attempt, error=error, form=ActionForm(),
                           editable=g.scope.postbacks_editable())


def _whole(value: str | None) -> int | None:
    """A form's id field as an int, or None when it is empty or not an id (the façade then says why)."""
    text = (value or "").strip()
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else None


def _refused(err: SelfServiceOff):
    return render_template("error.html", code=403, title="Postbacks are read-only", message=err.message), 403
