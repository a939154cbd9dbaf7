"""The public pages (no sign-in): published results."""

from django.urls import path

from kaohe.results import views

app_name = "public"

urlpatterns = [
    path("results/", views.public_list, name="results"),
    path("results/<int:pk>/", views.public_run, name="run"),
    path("results/<int:pk>/bulletin.pdf", views.public_bulletin, name="bulletin"),
]
