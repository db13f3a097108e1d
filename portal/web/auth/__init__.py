"""Sign-in and sign-out (signin.py), its two-factor step (two_factor.py) and staff single sign-on (sso.py) on
one blueprint."""

from portal.web.auth import signin, sso, two_factor  # noqa: F401  (registers the views)
from portal.web.auth.blueprint import bp

__all__ = ["bp"]
