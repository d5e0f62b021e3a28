"""Drift: standards, waivers, and deviations against a standard, peers and time."""
