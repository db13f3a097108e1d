"""The staff console: every view needs a staff session and declares the permission it needs."""

from portal.web.staff import activity, keys, views  # noqa: F401  (registers the views on the blueprint)
from portal.web.staff import conversions, delivery_metrics  # noqa: F401  (postback intake and delivery pages)
from portal.web.staff import network_keys  # noqa: F401  (Settings → Integrations: Network API key pairs)
from portal.web.staff import invitations  # noqa: F401  (invite partner users and staff users)
from portal.web.staff.blueprint import bp

__all__ = ["bp"]
