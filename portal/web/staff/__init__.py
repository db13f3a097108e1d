"""The staff console: every view needs a staff session and declares the permission it needs."""

from portal.web.staff import billing  # noqa: F401  (invoices, runs, payments, adjustments)
from portal.web.staff import confirm_identity  # noqa: F401  (confirm your identity before a secret is shown)
from portal.web.staff import eflow_keys  # noqa: F401  (Settings → Integrations: /v1/networks keys)
from portal.web.staff import invitations  # noqa: F401  (invite partner users and staff users)
from portal.web.staff import network_keys  # noqa: F401  (Settings → Integrations: Network API key pairs)
from portal.web.staff import offer_assets  # noqa: F401  (an offer's landing pages, creatives, coupons, feeds)
from portal.web.staff import offer_partners  # noqa: F401  (applications, per-partner access and payouts)
from portal.web.staff import offers  # noqa: F401  (offers: list, create, edit, pause)
from portal.web.staff import payouts  # noqa: F401  (a partner's payout details, masked; revealed with Security)
from portal.web.staff import security  # noqa: F401  (My account → Security: sessions and two-factor)
from portal.web.staff import traffic  # noqa: F401  (traffic controls: block and allow lists)
from portal.web.staff import upstream_link  # noqa: F401  (link a partner to its upstream affiliate)
from portal.web.staff import (  # noqa: F401  (registers the views on the blueprint); noqa: F401  (postback intake and delivery pages)
    activity, conversions, delivery_metrics, keys, views)
from portal.web.staff.blueprint import bp

__all__ = ["bp"]
