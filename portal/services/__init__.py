"""Use cases that change state; each owns its unit of work and its single commit."""
