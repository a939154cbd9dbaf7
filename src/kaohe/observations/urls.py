from django.urls import path

from kaohe.observations import views

app_name = "observations"

urlpatterns = [
    path("<int:pk>/history/", views.observation_history, name="history"),
    path("units/<slug:code>/", views.unit_data, name="unit_data"),
    path("upload/", views.upload, name="upload"),
    path("evidence/<int:pk>/", views.evidence_file, name="evidence"),
]
