from django.urls import path

from kaohe.core import views

app_name = "core"

urlpatterns = [
    path("", views.job_list, name="jobs"),
    path("<int:pk>/", views.job_detail, name="job"),
    path("<int:pk>/progress/", views.job_progress, name="job_progress"),
    path("<int:pk>/retry/", views.job_retry, name="job_retry"),
]
