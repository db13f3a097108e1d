"""The affiliate-scoped façade: the one path from partner-facing doors to the data."""

from portal.affiliate.backend import AffiliateBackend, PeriodFigures
from portal.affiliate.scope import AccountView, AffiliateScope, DashboardSummary
from portal.domain.errors import NotFound

__all__ = ["AffiliateBackend", "PeriodFigures", "AffiliateScope", "AccountView", "DashboardSummary", "NotFound"]
