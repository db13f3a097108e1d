"""The affiliate-scoped façade: the one path from partner-facing doors to the data."""

from portal.affiliate.backend import AffiliateBackend, PeriodFigures
from portal.affiliate.reporting import NotFound
from portal.affiliate.scope import AccountView, AffiliateScope, DashboardSummary

__all__ = ["AffiliateBackend", "PeriodFigures", "AffiliateScope", "AccountView", "DashboardSummary", "NotFound"]
