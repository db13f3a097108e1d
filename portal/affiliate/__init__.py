"""The affiliate-scoped façade: the one path from partner-facing doors to the data."""

from portal.affiliate.backend import AffiliateBackend
from portal.affiliate.scope import AffiliateScope

__all__ = ["AffiliateBackend", "AffiliateScope"]
