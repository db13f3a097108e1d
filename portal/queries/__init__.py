"""select() builders; every partner-facing function takes the partner id first and filters on it."""
