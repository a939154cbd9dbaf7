"""Assessment cycles with their time nodes, and schemes as versioned data (YAML)."""
