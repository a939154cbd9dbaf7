"""Key and excellence goals, benchmarks, the four-level joint review, decomposition, targets."""
