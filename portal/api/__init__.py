"""The machine-facing doors: the Affiliate API under /v1 (the Network API joins it later)."""
