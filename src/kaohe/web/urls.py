from django.urls import path

from kaohe.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("overview/", views.overview, name="overview"),
    path("audit/", views.audit_trail, name="audit"),
    path("screen/", views.screen, name="screen"),
    path("screen/panels/", views.screen_panels, name="screen_panels"),
    path("account/password/", views.PasswordChange.as_view(), name="password_change"),
]
