"""The REST API router (/api/v1/) and the OpenAPI schema."""

from __future__ import annotations

from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from kaohe.core.api import AuditEventViewSet, JobViewSet
from kaohe.goals.api import register as register_goals
from kaohe.indicators.api import AdmissionRequestViewSet, IndicatorViewSet
from kaohe.monitoring.api import MonitoringRuleViewSet, WarningViewSet
from kaohe.observations.api import ObservationViewSet
from kaohe.panels.api import register as register_panels
from kaohe.people.api import register as register_people
from kaohe.projects.api import register_all as register_projects
from kaohe.rectification.api import CommendationViewSet, RectificationItemViewSet
from kaohe.results.api import (
    ProvisionalStandingViewSet,
    PublicResultViewSet,
    ReportViewSet,
    ScoringRunViewSet,
)
from kaohe.schemes.api import CycleViewSet, SchemeViewSet
from kaohe.surveys.api import register_office as register_survey_office
from kaohe.surveys.api import register_results as register_survey_results
from kaohe.units.api import (
    CategoryViewSet,
    CityMapViewSet,
    PersonViewSet,
    PostViewSet,
    UnitViewSet,
)
from kaohe.web.api import ScreenViewSet

router = DefaultRouter()
router.register("categories", CategoryViewSet)
router.register("units", UnitViewSet)
router.register("posts", PostViewSet)
router.register("people", PersonViewSet)
router.register("city-maps", CityMapViewSet, basename="citymap")
router.register("indicators", IndicatorViewSet, basename="indicator")
router.register("admission-requests", AdmissionRequestViewSet)
router.register("cycles", CycleViewSet)
router.register("schemes", SchemeViewSet)
router.register("observations", ObservationViewSet)
router.register("scoring-runs", ScoringRunViewSet, basename="scoringrun")
router.register("provisional-standings", ProvisionalStandingViewSet)
router.register("public-results", PublicResultViewSet, basename="publicresult")
router.register("reports", ReportViewSet, basename="report")
router.register("warnings", WarningViewSet)
router.register("monitoring-rules", MonitoringRuleViewSet)
router.register("rectification-items", RectificationItemViewSet)
router.register("commendations", CommendationViewSet)
router.register("audit-events", AuditEventViewSet, basename="auditevent")
router.register("jobs", JobViewSet, basename="job")
router.register("screen", ScreenViewSet, basename="screen")
register_goals(router)
register_panels(router)
register_projects(router)
register_people(router)
register_survey_office(router)
register_survey_results(router)

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI adds <style> elements as it draws; its scripts stay under the strict policy.
    path(
        "docs/",
        csp_update({"style-src-elem": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
]
