"""Monitoring rules, cross-checks and the warnings they raise, with the warnings' life."""
