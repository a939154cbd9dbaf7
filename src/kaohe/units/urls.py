from django.urls import path

from kaohe.units import views

app_name = "units"

urlpatterns = [
    path("", views.unit_list, name="list"),
    # before the unit pages: "map" is not read as a unit code
    path("map/", views.city_map, name="map"),
    path("<slug:code>/", views.unit_detail, name="detail"),
]
