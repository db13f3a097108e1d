"""The LOCAL part of every scope (backend.LocalAccounts): this portal's own accounts, users, keys and notices."""

from __future__ import annotations

from typing import Any

from portal.domain.accounts import AccountView, KeyCard, NetworkView, PartnerRecord, UserView
from portal.domain.actors import Actor
from portal.domain.payouts import PayoutChange, PayoutView
from portal.extensions import db
from portal.models import Invitation, Partner, PartnerNotice, PartnerUser
from portal.queries import accounts
from portal.queries import invitations as invitation_queries
from portal.queries import notices as notice_queries
from portal.queries.settings import network_settings
from portal.services import audit, invitations, notices, payouts, team, two_factor
from portal.services.keys import Credential, find_credential, plaintext


class SqlAccounts:
    """Always SQL: an upstream deployment keeps sign-in, users, keys, audit and alerts here too."""

    def account(self, partner: PartnerRecord) -> AccountView:
        am = partner.account_manager
        return AccountView(
            affiliate_id=partner.id, name=partner.name, partner_key=partner.partner_key, status=partner.status,
            timezone=partner.timezone, currency=partner.currency,
            account_manager_name=am.name if am else None, account_manager_email=am.email if am else None,
            onboarding=partner.onboarding,
        )

    def network(self) -> NetworkView:
        s = network_settings()
        return NetworkView(network_id=s.id, name=s.network_name, logo_url=s.logo_url, timezone=s.timezone,
                           currency=s.currency)

    def postbacks_self_service(self) -> bool:
        return bool(network_settings().partner_postbacks_enabled)

    def upstream_affiliate_id(self, partner_id: int) -> int | None:
        partner = db.session.get(Partner, partner_id)  # the scope's own partner: already in the session
        return partner.upstream_affiliate_id if partner is not None else None

    def users(self, partner_id: int) -> list[UserView]:
        return [UserView(u.email, u.name, u.role, u.active) for u in accounts.partner_users(partner_id)]

    def has_active_key(self, partner_id: int) -> bool:
        return accounts.has_active_key(partner_id)

    def credential(self, secret: str) -> Credential | None:
        return find_credential(secret)

    def key_cards(self, partner_id: int) -> list[KeyCard]:
        return [KeyCard(k.label, plaintext(k), k.created_at, k.last_used_at)
                for k in accounts.active_keys(partner_id)]

    def team(self, partner_id: int) -> list[PartnerUser]:
        return accounts.partner_users(partner_id)

    def team_member(self, partner_id: int, user_id: int) -> PartnerUser | None:
        return accounts.partner_user(partner_id, user_id)

    def pending_invitations(self, partner_id: int) -> list[Invitation]:
        return invitation_queries.pending_partner_invitations(partner_id)

    def invitation(self, partner_id: int, invitation_id: int) -> Invitation | None:
        return invitation_queries.partner_invitation(partner_id, invitation_id)

    def invite(self, partner: PartnerRecord, email: str, role: str, by: Any, ip: str | None) -> None:
        invitations.invite_partner_user(partner, email, role, invitations.Inviter(by, ip))

    def change_role(self, user: PartnerUser, role: str, by: Any, ip: str | None) -> None:
        team.change_role(user, role, by, ip)

    def set_active(self, user: PartnerUser, active: bool, by: Any, ip: str | None) -> None:
        team.set_active(user, active, by, ip)

    def resend_invitation(self, invitation: Invitation, by: Any, ip: str | None) -> None:
        invitations.resend(invitation, invitations.Inviter(by, ip))

    def revoke_invitation(self, invitation: Invitation, by: Any, ip: str | None) -> None:
        invitations.revoke(invitation, invitations.Inviter(by, ip))

    def unread_notices(self, partner_id: int, limit: int) -> list[PartnerNotice]:
        return notice_queries.unread(partner_id, limit)

    def unread_notice_count(self, partner_id: int) -> int:
        return notice_queries.unread_count(partner_id)

    def mark_notice_read(self, partner_id: int, notice_id: int, actor: Actor | None) -> bool:
        return notices.mark_read(partner_id, notice_id, actor)

    def mark_notices_read(self, partner_id: int, actor: Actor | None) -> int:
        return notices.mark_all_read(partner_id, actor)

    def audit_upstream_change(self, partner_id: int, action: str, target_type: str, target_id: int,
                              detail: dict[str, Any], actor: Actor | None) -> None:
        detail = {"partner_id": partner_id, **detail}  # as portal.services.postbacks records it
        if actor is not None and actor.session_kind == "api":
            detail["api_key_id"] = actor.id
        event = audit.record(action, actor=actor, detail=detail, ip=actor.ip if actor else None)
        event.target_type, event.target_id = target_type, str(target_id)
        db.session.commit()

    def payout_details(self, partner_id: int) -> PayoutView:
        return payouts.view(partner_id)

    def two_factor_enabled(self, user: PartnerUser) -> bool:
        return two_factor.enabled_for(user)

    def change_payout_details(self, partner_id: int, user: PartnerUser, change: PayoutChange,
                              ip: str | None) -> list[str]:
        partner = db.session.get(Partner, partner_id)  # the scope's own partner: already in the session
        return payouts.update_payout_details(partner, user, change, ip)
