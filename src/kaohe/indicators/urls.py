from django.urls import path

from kaohe.indicators import views

app_name = "indicators"

urlpatterns = [
    path("", views.indicator_list, name="list"),
    path("admission/", views.admission_list, name="admission_list"),
    path("admission/<int:pk>/decide/", views.admission_decide, name="admission_decide"),
    path("<slug:code>/", views.indicator_detail, name="detail"),
]
