"""REST API of the goals app; `register` adds its viewsets to the project router."""

from rest_framework.routers import DefaultRouter


def register(router: DefaultRouter) -> None:
    """Add the goals endpoints to /api/v1/."""
