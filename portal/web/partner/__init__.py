"""The partner portal: every view needs a signed-in partner user and reads through the affiliate façade."""

from portal.web.partner import account, conversions, postbacks, reports, team  # noqa: F401  (registers the views)
from portal.web.partner.blueprint import bp

__all__ = ["bp"]
