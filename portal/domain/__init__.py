"""Value types every layer shares: criteria, records, errors, actors, timezones. Imports nothing of portal."""
