"""My Account → Security, for both kinds of user: the user's live sessions (device, address, last seen),
with "sign out this one" and "sign out all others"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from portal.http.user_agents import describe
from portal.services import sessions
from portal.web.forms import PageForm
from portal.web.sessions import current_token


class SessionActionForm(PageForm):
    """Sign out one session, or all the others: a button and its CSRF token."""


@dataclass(frozen=True)
class SessionRow:
    id: int
    device: str
    ip: str
    started_at: datetime
    last_seen_at: datetime
    current: bool


def show(template: str, end_one_endpoint: str, end_others_endpoint: str, tz: str, **context):
    token = current_token()
    rows = [SessionRow(s.id, describe(s.user_agent), s.ip or "", s.created_at, s.last_seen_at,
                       sessions.is_current(s, token)) for s in sessions.active(current_user)]
    idle, lifetime = sessions.limits()
    return render_template(template, sessions=rows, form=SessionActionForm(), end_one=end_one_endpoint,
                           end_others=end_others_endpoint, tz=tz, idle_hours=_hours(idle),
                           lifetime_hours=_hours(lifetime), **context)


def _hours(span) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:g}"


def end_one(session_id: int, done_endpoint: str):
    if not SessionActionForm().validate_on_submit():
        abort(400)
    if not sessions.end_one(current_user, session_id):
        abort(404)  # not one of this user's live sessions (another user's id says the same)
    flash("That session is signed out.")
    return redirect(url_for(done_endpoint))


def end_others(done_endpoint: str):
    if not SessionActionForm().validate_on_submit():
        abort(400)
    count = sessions.end_others(current_user, current_token())
    flash(f"Signed out {count} other session{'' if count == 1 else 's'}." if count else "No other sessions were open.")
    return redirect(url_for(done_endpoint))
