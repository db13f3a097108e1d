"""Sign-in and sign-out (signin.py) and staff single sign-on (sso.py) on one blueprint."""

from portal.web.auth import signin, sso  # noqa: F401  (registers the views)
from portal.web.auth.blueprint import bp

__all__ = ["bp"]
