from django.urls import path

from kaohe.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("", views.board, name="board"),
    path("rows/", views.board_rows, name="board_rows"),
    path("cross-checks/", views.cross_checks, name="cross_checks"),
    path("rules/", views.rule_list, name="rules"),
    path("warnings/<int:pk>/", views.warning_detail, name="warning"),
    path("warnings/<int:pk>/<slug:step>/", views.warning_step, name="step"),
]
