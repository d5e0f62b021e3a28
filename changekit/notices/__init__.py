"""Maintenance notices: rendering, audiences, what is due, idempotent sending. Channels are plugins."""
