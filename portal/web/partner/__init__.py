"""The partner portal: every view needs a signed-in partner user and reads through the affiliate façade."""

# Importing the view modules registers their views.
from portal.web.partner import (account, billing, conversions, dashboard, notices, offer_links, offers,  # noqa: F401
                                payouts, postbacks, reports, security, team, traffic)
from portal.web.partner.blueprint import bp

__all__ = ["bp"]
