"""Staff console pages: home, partners (Manage), settings and the staff member's own account."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from portal.domain.roles import ROLE_LABELS
from portal.models.base import utcnow
from portal.queries import accounts
from portal.queries import partners as partner_queries
from portal.queries.invitations import pending_partner_invitations
from portal.queries.offers import offer_choices
from portal.queries.settings import network_settings
from portal.services.settings import EDITABLE, SettingsRefused, update_network_settings
from portal.web.auth.link_forms import ButtonForm, InviteForm
from portal.web.auth.password import password_change_page
from portal.web.guards import ANY_STAFF, requires
from portal.web.staff.blueprint import bp
from portal.web.staff.forms import NetworkSettingsForm, UpstreamLinkForm

PARTNER_TABS = ("overview", "users", "api", "conversions", "postbacks", "offers", "payout", "billing")
OWN_VIEW_TABS = ("api", "conversions", "offers", "payout", "billing")  # tabs with views of their own (keys.py, conversions.py, …)


@bp.route("/")
@requires(ANY_STAFF)
def home():
    if current_user.can("partners:view"):
        return redirect(url_for("staff.partners"))
    return render_template("staff/home.html")


@bp.route("/partners")
@requires("partners:view")
def partners():
    search = request.args.get("q", "").strip()[:100]
    return render_template("staff/partners.html", partners=partner_queries.partners(search), search=search)


@bp.route("/partners/<int:partner_id>", defaults={"tab": "overview"})
@bp.route("/partners/<int:partner_id>/<tab>")
@requires("partners:view")
def partner(partner_id: int, tab: str):
    found = partner_queries.partner(partner_id)
    if found is None or tab not in PARTNER_TABS or tab in OWN_VIEW_TABS:
        abort(404)
    context = {"partner": found, "tab": tab, "tabs": PARTNER_TABS}
    if tab == "users":
        context.update(users=accounts.partner_users(partner_id), invitations=pending_partner_invitations(partner_id),
                       invite_form=InviteForm(), button=ButtonForm(), roles=ROLE_LABELS, now=utcnow())
    elif tab == "postbacks":
        context["postbacks"] = partner_queries.partner_postbacks(partner_id)
    else:
        context["upstream_form"] = UpstreamLinkForm(upstream_affiliate_id=found.upstream_affiliate_id)
    return render_template(f"staff/partner_{tab}.html", **context)


@bp.route("/settings", methods=["GET", "POST"])
@requires("settings:manage")
def settings():
    current = network_settings()
    form = NetworkSettingsForm(obj=current, network_api_offer_id=current.network_api_offer_id or 0)
    form.network_api_offer_id.choices = [SelectChoice(0, "None"),
                                         *(SelectChoice(offer_id, label) for offer_id, label
                                           in offer_choices(keep=current.network_api_offer_id))]
    status = 200
    if form.validate_on_submit():
        try:
            update_network_settings({name: getattr(form, name).data for name in EDITABLE}, current_user,
                                    ip=request.remote_addr)
        except SettingsRefused as err:
            form.staff_require_two_factor.errors = [str(err)]
            return render_template("staff/settings.html", form=form), 403
        flash("Settings saved.")
        return redirect(url_for("staff.settings"))
    if request.method == "POST":
        status = 400
    return render_template("staff/settings.html", form=form), status


@bp.route("/account", methods=["GET", "POST"])
@requires(ANY_STAFF)
def account():
    return password_change_page("staff/account.html", "staff.account")
