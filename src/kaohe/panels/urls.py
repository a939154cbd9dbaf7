"""Pages of the expert panels (四维评价)."""

from django.urls import path

from kaohe.panels import views

app_name = "panels"

urlpatterns = [
    path("", views.panel_list, name="list"),
    path("new/", views.panel_create, name="create"),
    path("<int:pk>/", views.panel_detail, name="detail"),
    path("<int:pk>/members/", views.panel_add_member, name="add_member"),
    path("<int:pk>/assign/", views.panel_assign, name="assign"),
    path("<int:pk>/close/", views.panel_close, name="close"),
    path("<int:pk>/feed/", views.panel_feed, name="feed"),
    path("mine/", views.my_assignments, name="mine"),
    path("assignments/<int:pk>/", views.assignment_rate, name="rate"),
    path("assignments/<int:pk>/withdraw/", views.assignment_withdraw, name="withdraw"),
    path("conflicts/", views.conflict_declare, name="declare"),
    path("results/", views.result_list, name="results"),
    path("results/<int:pk>/", views.result_detail, name="result"),
]
