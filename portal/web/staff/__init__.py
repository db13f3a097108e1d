"""The staff console: every view needs a staff session and declares the permission it needs."""

from portal.web.staff import invitations  # noqa: F401  (invite partner users and staff users)
from portal.web.staff import network_keys  # noqa: F401  (Settings → Integrations: Network API key pairs)
from portal.web.staff import security  # noqa: F401  (My account → Security: sessions and two-factor)
from portal.web.staff import (  # noqa: F401  (registers the views on the blueprint); noqa: F401  (postback intake and delivery pages)
    activity, conversions, delivery_metrics, keys, views)
from portal.web.staff.blueprint import bp

__all__ = ["bp"]
