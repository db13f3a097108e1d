"""The partner portal: every view needs a signed-in partner user and reads through the affiliate façade."""

from portal.web.partner import (account, conversions, dashboard, postbacks,  # noqa: F401  (registers the views)
                                reports, security, team)
from portal.web.partner.blueprint import bp

__all__ = ["bp"]
