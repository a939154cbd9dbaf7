"""Observed values (unit × indicator × time node), stored as versions that are never overwritten."""
