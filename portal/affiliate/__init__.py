"""The affiliate-scoped façade: the one path from partner-facing doors to the data."""

from portal.affiliate.backend import AffiliateBackend, LocalAccounts
from portal.affiliate.factory import backend_for, credential, network_view, scope_for
from portal.affiliate.scope import AffiliateScope

__all__ = ["AffiliateBackend", "AffiliateScope", "LocalAccounts", "backend_for", "credential", "network_view",
           "scope_for"]
