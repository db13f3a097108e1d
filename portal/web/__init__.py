"""The browser-facing doors: sign-in, partner portal, staff console, public docs."""
