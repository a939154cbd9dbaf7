from django.urls import path

from kaohe.results import views

app_name = "results"

urlpatterns = [
    path("", views.run_list, name="list"),
    path("runs/", views.run_start, name="start"),
    path("provisional/", views.provisional, name="provisional"),
    path("provisional/rows/", views.provisional_rows, name="provisional_rows"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/publish/", views.run_publish, name="publish"),
    path("runs/<int:pk>/export.xlsx", views.run_export, name="export"),
    path("runs/<int:pk>/bulletin/", views.bulletin_pdf, name="bulletin_pdf"),
    path("runs/<int:pk>/units/<slug:code>/", views.unit_result, name="unit"),
    path("runs/<int:pk>/units/<slug:code>/diagnosis/", views.diagnosis, name="diagnosis"),
    path(
        "runs/<int:pk>/units/<slug:code>/diagnosis/pdf/",
        views.diagnosis_pdf,
        name="diagnosis_pdf",
    ),
    path("reports/<int:pk>/", views.report_download, name="report"),
]
