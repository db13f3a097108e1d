"""Sign-in and sign-out (signin.py), staff single sign-on (sso.py), forgot password (reset.py) and
accepting an invitation (invite.py) on one blueprint."""

from portal.web.auth import invite, reset, signin, sso  # noqa: F401  (registers the views)
from portal.web.auth.blueprint import bp

__all__ = ["bp"]
