from django.urls import path

from kaohe.units import views

app_name = "units"

urlpatterns = [
    path("", views.unit_list, name="list"),
    path("<slug:code>/", views.unit_detail, name="detail"),
]
