"""Sign-in and sign-out (signin.py), its two-factor step (two_factor.py), staff single sign-on (sso.py),
forgot password (reset.py) and accepting an invitation (invite.py) on one blueprint."""

from portal.web.auth import invite, reset, signin, sso, two_factor  # noqa: F401  (registers the views)
from portal.web.auth.blueprint import bp

__all__ = ["bp"]
