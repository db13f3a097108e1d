"""Postback delivery: macro rendering, SSRF-safe outbound HTTP, the outbox and its worker.

Called by services and the web layer; calls nothing above it (models and the database session only).
"""
