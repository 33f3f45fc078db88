"""Rollups: job and Harvester worker counts per hour that we keep in our own database, so summaries need not read the big tables."""
