"""Top-level URLs: pages, the API, the admin, login and language switching."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kaohe.web.forms import LoginForm

urlpatterns = [
    path("", include("kaohe.web.urls")),
    path("units/", include("kaohe.units.urls")),
    path("indicators/", include("kaohe.indicators.urls")),
    path("schemes/", include("kaohe.schemes.urls")),
    path("observations/", include("kaohe.observations.urls")),
    path("results/", include("kaohe.results.urls")),
    path("goals/", include("kaohe.goals.urls")),
    path("panels/", include("kaohe.panels.urls")),
    path("people/", include("kaohe.people.urls")),
    path("projects/", include("kaohe.projects.urls")),
    path("monitoring/", include("kaohe.monitoring.urls")),
    path("rectification/", include("kaohe.rectification.urls")),
    path("surveys/", include("kaohe.surveys.urls")),
    path("s/", include("kaohe.surveys.public_urls")),
    path("jobs/", include("kaohe.core.urls")),
    path("public/", include("kaohe.results.public_urls")),
    path("api/", include("kaohe.api")),
    path("admin/", admin.site.urls),
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
]

handler403 = "kaohe.web.views.permission_denied"
handler404 = "kaohe.web.views.page_not_found"
handler500 = "kaohe.web.views.server_error"
