"""Traffic controls in the staff console: list, create, edit, deactivate and reactivate (offers:manage)."""

from __future__ import annotations

from datetime import UTC

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.domain.traffic import COMPARISON_LABELS, CONTROL_STATUSES, CONTROL_TYPE_LABELS, VARIABLE_LABELS
from portal.queries import traffic_controls as queries
from portal.services.traffic_controls import TrafficControlError, create_control, set_control_status, update_control
from portal.web.guards import requires
from portal.web.staff.blueprint import bp
from portal.web.staff.traffic_forms import ControlStatusForm, TrafficControlForm, parse_ids

MANAGE = "offers:manage"
LABELS = {"variables": VARIABLE_LABELS, "comparisons": COMPARISON_LABELS, "types": CONTROL_TYPE_LABELS}


def control_or_404(control_id: int):
    found = queries.control(control_id)
    if found is None:
        abort(404)
    return found


def _values(form: TrafficControlForm) -> dict:
    values = {name: getattr(form, name).data for name in ("name", "status", "control_type", "variable",
                                                          "comparison_method")}
    values["values"] = (form.values.data or "").splitlines()
    values["offer_ids"] = parse_ids(form.offer_ids.data)
    values["partner_ids"] = parse_ids(form.partner_ids.data)
    for name in ("date_valid_from", "date_valid_to"):
        moment = getattr(form, name).data
        values[name] = moment.replace(tzinfo=UTC) if moment is not None else None  # the form says UTC
    return values


def _current(control) -> dict:
    offers, partners = queries.scope_of([control.id])
    return {"name": control.name, "status": control.status, "control_type": control.control_type,
            "variable": control.variable, "comparison_method": control.comparison_method,
            "values": "\n".join(control.values or []),
            "offer_ids": ", ".join(str(i) for i, _ in offers[control.id]),
            "partner_ids": ", ".join(str(i) for i, _ in partners[control.id]),
            "date_valid_from": control.date_valid_from.replace(tzinfo=None) if control.date_valid_from else None,
            "date_valid_to": control.date_valid_to.replace(tzinfo=None) if control.date_valid_to else None}


def _save(form: TrafficControlForm, control=None):
    """Validate and save; returns the rule, or None with the error placed on the form."""
    if not form.validate_on_submit():
        return None
    try:
        if control is None:
            return create_control(_values(form), current_user, ip=request.remote_addr)
        update_control(control, _values(form), current_user, ip=request.remote_addr)
        return control
    except TrafficControlError as err:
        name, _, message = str(err).partition(": ")
        field = getattr(form, name, None)
        (field.errors if field is not None else form.form_errors).append(message or str(err))
        return None


@bp.route("/traffic-controls")
@requires(MANAGE)
def traffic_controls():
    status = request.args.get("status", "")
    if status not in CONTROL_STATUSES:
        status = ""
    found = queries.controls(status or None)
    offers, partners = queries.scope_of([c.id for c in found])
    return render_template("staff/traffic_controls.html", controls=found, offers=offers, partners=partners,
                           status=status, statuses=CONTROL_STATUSES, status_form=ControlStatusForm(), **LABELS)


@bp.route("/traffic-controls/new", methods=["GET", "POST"])
@requires(MANAGE)
def traffic_control_new():
    form = TrafficControlForm()
    control = _save(form)
    if control is not None:
        flash(f"Traffic control “{control.name}” created.")
        return redirect(url_for("staff.traffic_controls"))
    return (render_template("staff/traffic_control_form.html", form=form, control=None),
            400 if request.method == "POST" else 200)


@bp.route("/traffic-controls/<int:control_id>/edit", methods=["GET", "POST"])
@requires(MANAGE)
def traffic_control_edit(control_id: int):
    control = control_or_404(control_id)
    form = TrafficControlForm(data=_current(control))
    if _save(form, control) is not None:
        flash(f"Traffic control “{control.name}” saved.")
        return redirect(url_for("staff.traffic_controls"))
    return (render_template("staff/traffic_control_form.html", form=form, control=control),
            400 if request.method == "POST" else 200)


@bp.route("/traffic-controls/<int:control_id>/status", methods=["POST"])
@requires(MANAGE)
def traffic_control_status(control_id: int):
    control = control_or_404(control_id)
    form = ControlStatusForm()
    if not form.validate_on_submit():
        abort(400)
    if set_control_status(control, form.status.data, current_user, ip=request.remote_addr):
        flash(f"Traffic control “{control.name}” {'deactivated' if form.status.data == 'inactive' else 'activated'}.")
    return redirect(url_for("staff.traffic_controls"))
