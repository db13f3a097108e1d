"""The partner's notices (an application approved or rejected, an offer granted): the unread ones at the top
of every page, and Mark read for one or for all. A notice belongs to the company, so one user reading it
reads it for everyone."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for

from portal.web.auth.link_forms import ButtonForm
from portal.web.auth.redirects import safe_next
from portal.web.partner.access import allowed
from portal.web.partner.blueprint import bp


@bp.context_processor
def unread_notices():
    if "scope" not in g or not allowed("partner.notice_read"):
        return {}
    # The form only carries the CSRF token: it must not read this request's body (which may be the JSON an
    # error page is answering).
    shown, count = g.scope.unread_notices()
    # Back to this page after Mark read; a page answering a form post has no address to return to.
    here = (request.full_path if request.query_string else request.path) if request.method == "GET" else ""
    return {"unread_notices": shown, "unread_notice_count": count, "notice_form": ButtonForm(formdata=None),
            "notice_next": here}


@bp.route("/notices/<int:notice_id>/read", methods=["POST"])
def notice_read(notice_id: int):
    if not ButtonForm().validate_on_submit():
        abort(400)
    if not g.scope.mark_notice_read(notice_id):
        abort(404)  # missing and another partner's look the same
    return redirect(_back())


@bp.route("/notices/read", methods=["POST"])
def notices_read():
    if not ButtonForm().validate_on_submit():
        abort(400)
    count = g.scope.mark_notices_read()
    flash(f"{count} notice{'' if count == 1 else 's'} marked read.")
    return redirect(_back())


def _back() -> str:
    """The page the button was on (only our own paths), else the dashboard."""
    return safe_next(request.form.get("next"), url_for("partner.dashboard"))
