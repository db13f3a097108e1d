"""The machine-facing doors: the Affiliate API under /v1 and the Network API under /api/v2."""
