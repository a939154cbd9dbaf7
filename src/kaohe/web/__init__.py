"""Pages: the base layout, navigation by role, the city overview and the error states."""
