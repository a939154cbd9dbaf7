from django.urls import path

from kaohe.observations import evidence_views, views

app_name = "observations"

urlpatterns = [
    path("<int:pk>/history/", views.observation_history, name="history"),
    path("units/<slug:code>/", views.unit_data, name="unit_data"),
    path("upload/", views.upload, name="upload"),
    path("evidence/<int:pk>/", evidence_views.evidence_file, name="evidence"),
]
