"""Units (a tree: city → districts / departments → divisions), categories, posts and people."""
