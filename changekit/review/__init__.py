"""Looking back over a period: the timeline of hosts (and, with it, the service review)."""
