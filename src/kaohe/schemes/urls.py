from django.urls import path

from kaohe.schemes import views

app_name = "schemes"

urlpatterns = [
    path("", views.scheme_list, name="list"),
    path("cycles/", views.cycle_list, name="cycle_list"),
    path("cycles/new/", views.cycle_create, name="cycle_create"),
    path("cycles/<int:year>/advance/", views.cycle_advance, name="cycle_advance"),
    path("cycles/<int:year>/reopen/", views.cycle_reopen, name="cycle_reopen"),
    path("copy/", views.scheme_copy, name="copy"),
    path("<slug:code>/", views.scheme_detail, name="detail"),
    path("<slug:code>/save/", views.scheme_save, name="save"),
    path("<slug:code>/diff/", views.scheme_diff, name="diff"),
    path("<slug:code>/v<int:number>/", views.scheme_detail, name="version"),
    path("<slug:code>/v<int:number>/yaml/", views.scheme_version_yaml, name="yaml"),
    path("<slug:code>/v<int:number>/publish/", views.scheme_publish, name="publish"),
]
