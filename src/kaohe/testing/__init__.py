"""Test helpers shared by the test suite (factories, the browser driver)."""
