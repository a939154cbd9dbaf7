"""The indicator catalogue and its admission review (准入审批)."""
