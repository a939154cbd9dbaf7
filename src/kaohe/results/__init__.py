"""Scoring runs on frozen input snapshots, their stored and explained results, publication."""
