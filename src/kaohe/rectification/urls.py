from django.urls import path

from kaohe.rectification import views

app_name = "rectification"

urlpatterns = [
    path("", views.item_list, name="list"),
    path("remind/", views.remind, name="remind"),
    path("runs/<int:run_pk>/open/", views.open_items, name="open"),
    path("runs/<int:run_pk>/commend/", views.commend, name="commend"),
    path("commendations/", views.commendation_list, name="commendations"),
    path("<int:pk>/", views.item_detail, name="detail"),
    path("<int:pk>/plan/", views.submit_plan, name="plan"),
    path("<int:pk>/progress/", views.report_progress, name="progress"),
    path("<int:pk>/decide/", views.decide, name="decide"),
]
