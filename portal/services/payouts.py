"""Changing a partner's payout details: only the company's admin, only after confirming with the password (and
a two-factor code when it is on), validated, stored encrypted like API keys' secrets, audited with the masked
values only, the account manager mailed and every user of the partner told by a notice in the portal —
changed payout details are the classic account-takeover payday. Staff may reveal them in full (audited)."""

from __future__ import annotations

import json

from flask import current_app

from portal.delivery import mail
from portal.domain import payouts
from portal.domain.durations import friendly_duration
from portal.domain.payouts import PayoutChange, PayoutChangeRefused, PayoutView
from portal.domain.roles import BILLING, role_can
from portal.extensions import db
from portal.models import Partner, PartnerNotice, PartnerUser
from portal.models import PayoutDetails as PayoutRow
from portal.models.base import utcnow
from portal.queries.payouts import payout_details
from portal.services import audit, lockout, two_factor
from portal.services.mail_messages import absolute_url, compose
from portal.services.passwords import verify_password


def _vault():
    return current_app.extensions["portal.key_vault"]


def view(partner_id: int) -> PayoutView:
    row = payout_details(partner_id)
    if row is None or row.method is None:
        return PayoutView(None, [], row.tax_form if row else None, row.tax_status if row else "not_submitted",
                          row.updated_at if row else None, row.updated_by_label if row else "")
    shown = [(name, row.masked[name]) for name in payouts.FIELDS if name in (row.masked or {})]
    return PayoutView(row.method, shown, row.tax_form, row.tax_status, row.updated_at, row.updated_by_label)


def _clear(row: PayoutRow | None) -> payouts.PayoutDetails | None:
    if row is None or row.method is None or row.encrypted_details is None:
        return None
    return payouts.PayoutDetails(row.method, json.loads(_vault().decrypt(row.encrypted_details)))


def reveal(partner: Partner, staff, ip: str | None) -> payouts.PayoutDetails | None:
    """The details in the clear for a staff member who may see them (the caller checks the permission);
    audited, without the values."""
    details = _clear(payout_details(partner.id))
    audit.record("payout_details.revealed", actor=staff, target=partner, ip=ip,
                 detail={"partner_id": partner.id, "found": details is not None})
    db.session.commit()
    return details


def _confirm(user: PartnerUser, password: str, code: str | None, ip: str | None, partner: Partner) -> None:
    """The user's password, and a current code when two-factor is on. A failure is audited, changes nothing,
    and counts on the user's row as a failed sign-in does, so a borrowed session cannot guess the password
    here faster than at the sign-in form (the same lock pauses both)."""
    now = utcnow()
    reason = None
    if lockout.paused_for(user, now):
        raise PayoutChangeRefused(lockout.PAUSED.format(duration=friendly_duration(lockout.paused_for(user, now))))
    if user.password_hash is None:
        reason = "Your account has no password to confirm with; ask your account manager to change payout details."
    elif not verify_password(user.password_hash, password or ""):
        reason = "The password is not correct."
    elif two_factor.enabled_for(user) and two_factor.check_code(user, code or "", now) is None:
        reason = "That code is not right. Enter a current code from your app, or a recovery code."
    if reason is not None:
        db.session.rollback()
        lockout.count_failure(user, now)
        audit.record("payout_details.confirmation_failed", actor=user, target=partner, ip=ip,
                     detail={"partner_id": partner.id})
        db.session.commit()
        raise PayoutChangeRefused(reason)


def update_payout_details(partner: Partner, user: PartnerUser, change: PayoutChange, ip: str | None) -> list[str]:
    """Validate, confirm, store, audit, notify; the names of what changed (empty: nothing did, nothing is sent).

    Raises payouts.PayoutDetailsInvalid for a value that cannot be used and PayoutChangeRefused when the user
    may not change them or the confirmation fails; either way nothing is stored."""
    if user.partner_id != partner.id or not role_can(user.role, BILLING):
        raise PayoutChangeRefused("Only your company's admin can change the payout details.")
    details = payouts.clean(change.method, change.values)
    if change.tax_form is not None and change.tax_form not in payouts.TAX_FORMS:
        raise payouts.PayoutDetailsInvalid("tax_form", "Choose one of the tax forms.")
    if change.tax_status not in payouts.PARTNER_TAX_STATUSES:
        raise payouts.PayoutDetailsInvalid("tax_status", "Choose whether you have submitted the tax form.")
    _confirm(user, change.password, change.code, ip, partner)

    row = payout_details(partner.id)
    before = _clear(row)
    changed = payouts.changed_fields(before, details) if before != details else []
    tax_status = change.tax_status
    if row is not None and row.tax_status == "approved" and row.tax_form == change.tax_form and tax_status == "submitted":
        tax_status = "approved"  # the network's approval stands until the partner names another form
    if row is None or row.tax_form != change.tax_form:
        changed.append("tax_form")
    if row is None or row.tax_status != tax_status:
        changed.append("tax_status")
    if row is not None and not changed:
        db.session.commit()  # a spent two-factor code stays spent
        return []

    shown = payouts.masked(details)
    previous = dict(row.masked or {}) if row is not None else {}
    previous_method = row.method if row is not None else None
    if row is None:
        row = PayoutRow(partner_id=partner.id)
        db.session.add(row)
    row.method = details.method
    row.encrypted_details = _vault().encrypt(json.dumps(details.fields, sort_keys=True))
    row.masked = shown
    row.tax_form, row.tax_status = change.tax_form, tax_status
    row.updated_at, row.updated_by_type = utcnow(), "partner"
    row.updated_by_id, row.updated_by_label = user.id, user.email
    audit.record("payout_details.changed", actor=user, target=partner, ip=ip, detail={
        "partner_id": partner.id, "changed": changed, "method": details.method, "previous_method": previous_method,
        "masked": shown, "previous_masked": previous, "tax_form": change.tax_form, "tax_status": tax_status})
    labels = [_label(name) for name in changed]
    db.session.add(PartnerNotice(
        partner_id=partner.id, kind="payout_details_changed", title="Your payout details were changed",
        body=(f"{user.email} changed the payout details ({', '.join(labels)}); payments now go to "
              f"{payouts.METHOD_LABELS[details.method]}. If this was not someone of your company, tell your "
              "account manager at once and change your passwords.")))
    message = _manager_message(partner, user, details, shown, labels, ip)
    db.session.commit()
    if message is not None:
        mail.send(message)
    return changed


def _label(name: str) -> str:
    return {"method": "payment method", "tax_form": "tax form", "tax_status": "tax form status"}.get(
        name, payouts.FIELD_LABELS.get(name, name))


def _manager_message(partner: Partner, user: PartnerUser, details: payouts.PayoutDetails, shown: dict[str, str],
                     labels: list[str], ip: str | None):
    """The alert to the partner's account manager (None when the partner has none, or an inactive one)."""
    manager = partner.account_manager
    if manager is None or not manager.active:
        return None
    masked_lines = [(payouts.FIELD_LABELS[n], v) for n, v in shown.items()]
    return compose(manager.email, f"Payout details changed: {partner.name}", "payout_details_changed",
                   manager_name=manager.name, partner=partner, user_email=user.email, ip=ip or "unknown",
                   method=payouts.METHOD_LABELS[details.method], masked=masked_lines, changed=labels,
                   link=absolute_url("staff.partner_payout", partner_id=partner.id))


def set_tax_status(partner: Partner, staff, status: str, ip: str | None) -> bool:
    """The network's review of the partner's tax form (approved, or back to submitted / not submitted);
    audited and told to the partner's users. False when it was already so."""
    if status not in payouts.TAX_STATUSES:
        raise payouts.PayoutDetailsInvalid("tax_status", "Choose one of the tax form statuses.")
    row = payout_details(partner.id)
    if row is None:
        row = PayoutRow(partner_id=partner.id, masked={})
        db.session.add(row)
    elif row.tax_status == status:
        return False
    previous = row.tax_status
    row.tax_status = status
    row.updated_at, row.updated_by_type = utcnow(), "staff"
    row.updated_by_id, row.updated_by_label = staff.id, staff.email
    audit.record("payout_details.tax_status_set", actor=staff, target=partner, ip=ip,
                 detail={"partner_id": partner.id, "tax_form": row.tax_form, "from": previous, "to": status})
    label = payouts.TAX_STATUSES[status]
    db.session.add(PartnerNotice(partner_id=partner.id, kind="tax_form_reviewed",
                                 title=f"Your tax form: {label}",
                                 body=f"The network set the status of your tax form ({row.tax_form or 'none named'}) "
                                      f"to {label.lower()}."))
    db.session.commit()
    return True
