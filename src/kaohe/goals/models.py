"""Goals and their review (see the goals issue)."""
