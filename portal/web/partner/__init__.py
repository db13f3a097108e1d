"""The partner portal: every view needs a signed-in partner user and reads through the affiliate façade."""

from portal.web.partner import (account, conversions, dashboard, notices, offer_links,  # noqa: F401  (registers
                                offers, postbacks, reports, security, team)  # the views)
from portal.web.partner.blueprint import bp

__all__ = ["bp"]
