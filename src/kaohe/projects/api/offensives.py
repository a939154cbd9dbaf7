"""Placeholder: replaced by the endpoints of this part."""

from rest_framework.routers import DefaultRouter


def register(router: DefaultRouter) -> None:
    """Add this part's endpoints to /api/v1/."""
