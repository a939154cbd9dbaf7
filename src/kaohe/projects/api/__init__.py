"""The key projects and major tasks endpoints of /api/v1/."""

from rest_framework.routers import DefaultRouter

from kaohe.projects.api import offensives, register


def register_all(router: DefaultRouter) -> None:
    """Add the register's and the major tasks' endpoints to /api/v1/."""
    register.register(router)
    offensives.register(router)
